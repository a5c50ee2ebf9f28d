"""Helpers shared by the notebooks of *Backprop, Step by Step*.

The course's own mathematics lives in the notebooks; this package holds only
what several notebooks share: the stepper widget and its network diagram,
number formatting, and the gradient check.
"""

from .diagram import Edge, Node, network_svg
from .gradcheck import numerical_gradient, relative_error
from .shapes import ShapeError, expect_shape, trace_shapes
from .stepper import Step, Stepper

__all__ = [
    "Edge",
    "Node",
    "ShapeError",
    "Step",
    "Stepper",
    "expect_shape",
    "network_svg",
    "numerical_gradient",
    "relative_error",
    "trace_shapes",
]
__version__ = "0.1.0"
