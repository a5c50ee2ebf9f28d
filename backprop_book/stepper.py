"""Step through a forward and backward pass, value by value.

The notebook computes every value with its own code and hands the stepper a
list of :class:`Step` objects. The stepper only lays them out: one page per
step, with the formula the step applies, the values that are new at that step,
the values known from earlier steps, and a network diagram with the step's
node or weight highlighted.

It is built from core ipywidgets only (a ``Play``, an ``IntSlider`` and a
``Stack`` of ``HTMLMath`` pages, joined with ``jslink``), so it steps in
JupyterLab, in VS Code and in the static web book, where no kernel runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from numpy.typing import ArrayLike

from .diagram import ACCENT, Highlight, network_svg
from .formatting import latex_array, shape_text

__all__ = ["Step", "Stepper", "render_page"]


@dataclass(frozen=True)
class Step:
    """One step of a pass: what it computes, by which formula, with which values.

    ``values`` maps a LaTeX symbol (no dollar signs) to the value the
    notebook's code computed for it at this step; these are the quantities
    that are new at this step. ``highlight`` names the diagram's parts that
    the step is about (see :mod:`backprop_book.diagram`).
    """

    title: str
    formula: str
    values: Mapping[str, ArrayLike]
    highlight: Sequence[Highlight] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"step {self.title!r} has no values: every step computes something")
        # Freeze the values as the notebook had them when the step was made,
        # so that a later in-place update cannot change what the page shows.
        object.__setattr__(self, "values", {k: np.array(v, dtype=float) for k, v in self.values.items()})
        object.__setattr__(self, "highlight", tuple(self.highlight))


# The HTMLMath widget's content box does not grow to the widget's width (the
# stylesheet's flex-grow rule names another class), so a page would shrink to its
# content and wrap the values under the diagram. Each page carries this rule,
# scoped to steppers, so it holds wherever the widget renders.
_PAGE_STYLE = (
    "<style>.bp-stepper .widget-htmlmath-content, .bp-stepper .jupyter-widget-htmlmath-content "
    "{ flex: 1 1 auto; min-width: 0; }</style>"
)


def _value_rows(values: Mapping[str, np.ndarray], new: bool) -> str:
    rows = []
    for symbol, value in values.items():
        style = f' style="background: rgba(232, 89, 12, 0.12); border-left: 3px solid {ACCENT};"' if new else ""
        badge = f' <span style="color: {ACCENT}; font-size: 0.8em; font-weight: bold;">new</span>' if new else ""
        rows.append(
            f'<tr class="bp-value{" bp-new" if new else ""}"{style}>'
            f'<td style="padding: 2px 8px;">\\({symbol}\\){badge}</td>'
            f'<td style="padding: 2px 8px;">\\({latex_array(value)}\\)</td>'
            f'<td style="padding: 2px 8px; opacity: 0.75; font-family: monospace;">{shape_text(value)}</td>'
            "</tr>"
        )
    return "".join(rows)


def render_page(
    steps: Sequence[Step],
    index: int,
    layer_sizes: Sequence[int] | None = None,
    *,
    bias: bool = False,
    title: str = "",
) -> str:
    """HTML (with MathJax delimiters) of page ``index``.

    Page 0 is the overview; page k (1 <= k <= len(steps)) shows step k, so
    the slider's number is the step's number.
    """
    n = len(steps)
    if not 0 <= index <= n:
        raise IndexError(f"page {index} out of range 0..{n}")
    head_style = "font-weight: bold; margin-bottom: 4px;"
    if index == 0:
        heading = f"{escape(title) + ' — ' if title else ''}{n} steps"
        items = "".join(f"<li>{escape(s.title)}</li>" for s in steps)
        body = (
            "<p>Press play, or move the slider, to go through the pass one step at a time. "
            "Each page shows the formula, the value it produces, and what is already known.</p>"
            f'<ol style="margin: 0; padding-left: 1.5em;">{items}</ol>'
        )
        highlight: Sequence[Highlight] = ()
    else:
        step = steps[index - 1]
        heading = f"Step {index} of {n}: {escape(step.title)}"
        known: dict[str, np.ndarray] = {}
        for earlier in steps[: index - 1]:
            known.update(earlier.values)  # a later value of the same symbol replaces the earlier
        for symbol in step.values:
            known.pop(symbol, None)
        note = f'<p style="margin: 4px 0;">{step.note}</p>' if step.note else ""
        table_style = "border-collapse: collapse; margin-top: 4px;"
        known_table = (
            f'<div style="margin-top: 6px; opacity: 0.85;">Known from earlier steps</div>'
            f'<table style="{table_style}">{_value_rows(known, new=False)}</table>'
            if known
            else ""
        )
        body = (
            f'<div class="bp-formula">\\[{step.formula}\\]</div>{note}'
            f'<table style="{table_style}">{_value_rows(step.values, new=True)}</table>'
            f"{known_table}"
        )
        highlight = step.highlight
    diagram = (
        f'<div style="flex: 0 0 auto;">{network_svg(layer_sizes, highlight, bias=bias, title=title)}</div>'
        if layer_sizes is not None
        else ""
    )
    return (
        f'{_PAGE_STYLE}<div class="bp-page" data-step="{index}">'
        f'<div style="{head_style}">{heading}</div>'
        '<div style="display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start;">'
        f'{diagram}<div style="flex: 1 1 240px; min-width: 0; overflow-x: auto;">{body}</div>'
        "</div></div>"
    )


class Stepper(widgets.VBox):
    """A Play button and a slider that page through the steps of a pass.

    Parameters
    ----------
    steps:
        The steps, in order, as the notebook computed them.
    layer_sizes:
        Units per layer, input first (e.g. ``[3, 2, 1]``); draws the diagram.
        Leave it out for no diagram.
    bias:
        Draw each layer's constant-1 bias unit.
    title:
        A short name of what is being stepped through.
    interval:
        Milliseconds per step when playing.
    """

    def __init__(
        self,
        steps: Sequence[Step],
        layer_sizes: Sequence[int] | None = None,
        *,
        bias: bool = False,
        title: str = "",
        interval: int = 1500,
    ) -> None:
        steps = list(steps)
        if not steps:
            raise ValueError("a stepper needs at least one step")
        if not all(isinstance(s, Step) for s in steps):
            raise TypeError("steps must be backprop_book.Step objects")
        self.steps = steps
        self.title = title
        # Full width, so that a page's formula and values sit beside the diagram
        # when there is room (an HTML widget otherwise shrinks to its content).
        pages = [
            widgets.HTMLMath(
                value=render_page(steps, k, layer_sizes, bias=bias, title=title),
                layout=widgets.Layout(width="100%"),
            )
            for k in range(len(steps) + 1)
        ]
        last = len(steps)
        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval, description="Play")
        self.slider = widgets.IntSlider(value=0, min=0, max=last, step=1, description="Step")
        self.pages = widgets.Stack(pages, selected_index=0, layout=widgets.Layout(width="100%"))
        # Links live in the browser, so they work without a kernel.
        self._links = [
            widgets.jslink((self.play, "value"), (self.slider, "value")),
            widgets.jslink((self.slider, "value"), (self.pages, "selected_index")),
        ]
        super().__init__([widgets.HBox([self.play, self.slider]), self.pages])
        self.add_class("bp-stepper")

    def __repr__(self) -> str:
        return f"Stepper({self.title!r}, {len(self.steps)} steps)"
