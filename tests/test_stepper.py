import ipywidgets as widgets
import numpy as np
import pytest

from backprop_book import Edge, Node, Step, Stepper
from backprop_book.stepper import render_page


def steps():
    x = np.array([[0.5, -1.0, 2.0]])
    z = np.array([[1.5]])
    return [
        Step("pre-activation", r"z = \mathbf{x}\mathbf{w} + b", {"z": z}, [Edge(1)]),
        Step("output", r"\hat{y} = \sigma(z)", {r"\hat{y}": 1 / (1 + np.exp(-z))}, [Node(1, 0)]),
        Step("input again", r"\mathbf{x}", {r"\mathbf{x}": x}),
    ]


def test_one_page_per_step_plus_an_overview():
    stepper = Stepper(steps(), [3, 1])
    assert len(stepper.pages.children) == 4
    assert all(isinstance(p, widgets.HTMLMath) for p in stepper.pages.children)
    assert stepper.slider.min == 0 and stepper.slider.max == 3
    assert stepper.play.max == 3
    assert stepper.pages.selected_index == 0


def test_controls_are_linked_in_the_browser():
    stepper = Stepper(steps())
    links = {(type(l).__name__, l.source[1], l.target[1]) for l in stepper._links}
    assert links == {("Link", "value", "value"), ("Link", "value", "selected_index")}
    assert stepper._links[0].source[0] is stepper.play
    assert stepper._links[0].target[0] is stepper.slider
    assert stepper._links[1].target[0] is stepper.pages


def test_the_slider_number_is_the_step_number():
    page = render_page(steps(), 2, [3, 1])
    assert 'data-step="2"' in page
    assert "Step 2 of 3: output" in page


def test_new_values_are_marked_and_earlier_ones_are_known():
    page = render_page(steps(), 2, [3, 1])
    new_part, known_part = page.split("Known from earlier steps")
    assert r"\hat{y}" in new_part and "bp-new" in new_part
    assert "z" in known_part and "bp-new" not in known_part
    assert "1.5" in known_part


def test_values_are_those_computed_not_typed():
    page = render_page(steps(), 2)
    expected = f"{1 / (1 + np.exp(-1.5)):.4g}"
    assert expected in page


def test_step_freezes_its_values():
    z = np.array([[1.0]])
    step = Step("z", "z", {"z": z})
    z += 1
    assert step.values["z"][0, 0] == 1.0


def test_highlight_reaches_the_diagram():
    page = render_page(steps(), 1, [3, 1])
    assert 'data-edge="1-0-0"' in page and "bp-edge bp-on" in page
    overview = render_page(steps(), 0, [3, 1])
    assert "bp-on" not in overview


def test_no_diagram_without_layer_sizes():
    assert "<svg" not in render_page(steps(), 1)


def test_page_out_of_range():
    with pytest.raises(IndexError):
        render_page(steps(), 4)


def test_short_deterministic_repr():
    assert repr(Stepper(steps(), title="one neuron")) == "Stepper('one neuron', 3 steps)"


def test_empty_and_bad_input():
    with pytest.raises(ValueError, match="at least one step"):
        Stepper([])
    with pytest.raises(TypeError):
        Stepper([("z", "z", {"z": 1.0})])
    with pytest.raises(ValueError, match="no values"):
        Step("nothing", "x", {})


def test_a_four_layer_network_scales():
    sizes = [4, 3, 3, 2]
    many = [Step(f"layer {l}", f"z^{{({l})}}", {f"z^{{({l})}}": np.ones((1, n))}, [Node(l), Edge(l)])
            for l, n in enumerate(sizes) if l > 0]
    stepper = Stepper(many, sizes, bias=True)
    assert len(stepper.pages.children) == len(many) + 1


def test_css_class_for_the_browser_test():
    assert "bp-stepper" in Stepper(steps())._dom_classes
