"""A small SVG drawing of a fully connected network, with parts highlighted.

Layers are numbered as in the book: layer 0 is the input, layer L the output,
and the weight matrix ``W^{(l)}`` joins layer ``l - 1`` to layer ``l``. Units
are numbered from 0, as NumPy indexes the arrays that hold them. With
``bias=True`` every layer but the output gets one extra unit, drawn as a square
holding the constant 1: the bias ``b^{(l)}_k`` is the weight from that unit
(index ``n_{l-1}``) to unit ``k`` of layer ``l``.

The drawing uses ``currentColor`` for ink, so it follows the page's text colour
in light and dark themes, and one accent colour for what is highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Iterable, Sequence, Union

__all__ = ["Node", "Edge", "Highlight", "ACCENT", "network_svg"]

#: Accent colour for highlighted parts; legible on white and on near-black.
ACCENT = "#e8590c"
#: Node fill: the page's background in the web book and in JupyterLab, else the
#: browser's (Canvas follows the colour scheme), so edges never show through.
BACKGROUND = "var(--pst-color-background, var(--jp-layout-color0, Canvas))"


@dataclass(frozen=True)
class Node:
    """Unit ``unit`` of layer ``layer``; ``unit=None`` means every unit of the layer."""

    layer: int
    unit: int | None = None


@dataclass(frozen=True)
class Edge:
    """Weight ``w^{(layer)}_{ij}`` from unit i of layer ``layer - 1`` to unit j of ``layer``.

    ``i=None`` or ``j=None`` match every unit on that side, so ``Edge(2)`` is
    the whole matrix ``W^{(2)}`` and ``Edge(2, j=0)`` every weight into unit 0.
    """

    layer: int
    i: int | None = None
    j: int | None = None


Highlight = Union[Node, Edge]


def _check(layer_sizes: Sequence[int], highlight: Iterable[Highlight], bias: bool) -> None:
    if len(layer_sizes) < 2:
        raise ValueError("a network needs at least an input and an output layer")
    if any(int(n) < 1 for n in layer_sizes):
        raise ValueError(f"every layer needs at least one unit, got {list(layer_sizes)}")
    n_layers = len(layer_sizes)
    for h in highlight:
        if isinstance(h, Node):
            if not 0 <= h.layer < n_layers:
                raise ValueError(f"{h}: layers run from 0 to {n_layers - 1}")
            extra = 1 if bias and h.layer < n_layers - 1 else 0
            if h.unit is not None and not 0 <= h.unit < layer_sizes[h.layer] + extra:
                raise ValueError(f"{h}: layer {h.layer} has {layer_sizes[h.layer]} units")
        elif isinstance(h, Edge):
            if not 1 <= h.layer < n_layers:
                raise ValueError(f"{h}: weight layers run from 1 to {n_layers - 1}")
            n_in = layer_sizes[h.layer - 1] + (1 if bias else 0)
            if h.i is not None and not 0 <= h.i < n_in:
                raise ValueError(f"{h}: i must be below {n_in}")
            if h.j is not None and not 0 <= h.j < layer_sizes[h.layer]:
                raise ValueError(f"{h}: j must be below {layer_sizes[h.layer]}")
        else:
            raise TypeError(f"highlight items must be Node or Edge, got {h!r}")


def _matches_node(h: Highlight, layer: int, unit: int) -> bool:
    return isinstance(h, Node) and h.layer == layer and h.unit in (None, unit)


def _matches_edge(h: Highlight, layer: int, i: int, j: int) -> bool:
    return isinstance(h, Edge) and h.layer == layer and h.i in (None, i) and h.j in (None, j)


def _layer_name(layer: int, n_layers: int) -> str:
    if layer == 0:
        return "input"
    if layer == n_layers - 1:
        return "output"
    return "hidden" if n_layers == 3 else f"hidden {layer}"


def network_svg(
    layer_sizes: Sequence[int],
    highlight: Iterable[Highlight] = (),
    *,
    bias: bool = False,
    title: str = "",
    width: int = 260,
) -> str:
    """Return an SVG drawing of the network with the given parts highlighted.

    ``title`` becomes the SVG's accessible name (``<title>``); the layer names
    under the columns say which column is which.
    """
    highlight = list(highlight)
    _check(layer_sizes, highlight, bias)
    n_layers = len(layer_sizes)
    sizes = [int(n) + (1 if bias and layer < n_layers - 1 else 0) for layer, n in enumerate(layer_sizes)]
    tallest = max(sizes)
    gap_y, radius, top, bottom = 38, 12, 18, 26
    height = top + (tallest - 1) * gap_y + 2 * radius + bottom
    left, right = 24, 24
    gap_x = (width - left - right) / max(n_layers - 1, 1)

    def position(layer: int, unit: int) -> tuple[float, float]:
        offset = (tallest - sizes[layer]) * gap_y / 2
        return left + layer * gap_x, top + radius + offset + unit * gap_y

    label = escape(title or f"Network with layer sizes {', '.join(map(str, layer_sizes))}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-network" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'style="color: inherit; max-width: 100%; height: auto;">',
        f"<title>{label}</title>",
    ]
    # Edges first, so that nodes are drawn on top of them; highlighted edges last.
    plain, marked = [], []
    for layer in range(1, n_layers):
        for i in range(sizes[layer - 1]):
            for j in range(layer_sizes[layer]):
                x1, y1 = position(layer - 1, i)
                x2, y2 = position(layer, j)
                on = any(_matches_edge(h, layer, i, j) for h in highlight)
                style = (
                    f'stroke="{ACCENT}" stroke-width="3.5"'
                    if on
                    else 'stroke="currentColor" stroke-opacity="0.35" stroke-width="1.2"'
                )
                line = (
                    f'<line class="bp-edge{" bp-on" if on else ""}" data-edge="{layer}-{i}-{j}" '
                    f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'
                )
                (marked if on else plain).append(line)
    parts += plain + marked
    for layer, n in enumerate(sizes):
        for unit in range(n):
            x, y = position(layer, unit)
            on = any(_matches_node(h, layer, unit) for h in highlight)
            fill = f'fill="{ACCENT}"' if on else f'style="fill: {BACKGROUND};"'
            stroke = f'stroke="{ACCENT}"' if on else 'stroke="currentColor"'
            cls = f'bp-node{" bp-on" if on else ""}'
            is_bias = bias and layer < n_layers - 1 and unit == n - 1
            if is_bias:
                parts.append(
                    f'<rect class="{cls}" data-node="{layer}-{unit}" x="{x - radius:.1f}" y="{y - radius:.1f}" '
                    f'width="{2 * radius}" height="{2 * radius}" rx="3" {fill} {stroke} stroke-width="1.5"/>'
                )
                text = "1"
            else:
                parts.append(
                    f'<circle class="{cls}" data-node="{layer}-{unit}" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" '
                    f'{fill} {stroke} stroke-width="1.5"/>'
                )
                text = str(unit + 1)
            parts.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" '
                f'font-family="sans-serif" fill="currentColor">{text}</text>'
            )
        x, _ = position(layer, 0)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
            f'font-family="sans-serif" fill="currentColor" fill-opacity="0.8">{_layer_name(layer, n_layers)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
