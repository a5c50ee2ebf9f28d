import re
import xml.etree.ElementTree as ET

import pytest

from backprop_book.diagram import ACCENT, Edge, Node, network_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def highlighted(svg: str, kind: str) -> set[str]:
    root = parse(svg)
    attr = "data-node" if kind == "node" else "data-edge"
    return {el.get(attr) for el in root.iter() if "bp-on" in (el.get("class") or "") and el.get(attr)}


def test_counts_of_nodes_and_edges():
    root = parse(network_svg([3, 2, 1]))
    nodes = [el for el in root.iter() if el.get("data-node")]
    edges = [el for el in root.iter() if el.get("data-edge")]
    assert len(nodes) == 3 + 2 + 1
    assert len(edges) == 3 * 2 + 2 * 1


def test_bias_units_add_one_node_per_layer_but_the_output():
    root = parse(network_svg([3, 2, 1], bias=True))
    nodes = [el for el in root.iter() if el.get("data-node")]
    edges = [el for el in root.iter() if el.get("data-edge")]
    assert len(nodes) == 4 + 3 + 1
    assert len(edges) == 4 * 2 + 3 * 1
    assert len([el for el in root.iter(f"{SVG}rect")]) == 2  # bias units are squares


def test_single_weight_is_highlighted_and_nothing_else():
    svg = network_svg([3, 2, 1], [Edge(1, 2, 1)])
    assert highlighted(svg, "edge") == {"1-2-1"}
    assert highlighted(svg, "node") == set()
    assert ACCENT in svg


def test_wildcards():
    svg = network_svg([3, 2, 1], [Edge(1, j=0), Node(1)])
    assert highlighted(svg, "edge") == {"1-0-0", "1-1-0", "1-2-0"}
    assert highlighted(svg, "node") == {"1-0", "1-1"}


def test_bias_weight_is_the_edge_from_the_constant_unit():
    svg = network_svg([3, 1], [Edge(1, 3, 0)], bias=True)
    assert highlighted(svg, "edge") == {"1-3-0"}


def test_title_is_the_accessible_name_and_is_escaped():
    root = parse(network_svg([2, 1], title="a <b> & c"))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "a <b> & c"


def test_ink_follows_the_theme():
    svg = network_svg([2, 2, 1])
    assert "currentColor" in svg
    assert not re.search(r'fill="(black|white|#000|#fff)', svg)


@pytest.mark.parametrize(
    "sizes, highlight, message",
    [
        ([3], [], "at least an input and an output"),
        ([3, 0], [], "at least one unit"),
        ([3, 1], [Node(2, 0)], "layers run from 0 to 1"),
        ([3, 1], [Node(0, 3)], "has 3 units"),
        ([3, 1], [Edge(0, 0, 0)], "weight layers run from 1"),
        ([3, 1], [Edge(1, 3, 0)], "i must be below 3"),
        ([3, 1], [Edge(1, 0, 1)], "j must be below 1"),
    ],
)
def test_bad_highlights_are_refused_with_a_reason(sizes, highlight, message):
    with pytest.raises(ValueError, match=message):
        network_svg(sizes, highlight)


def test_wrong_highlight_type():
    with pytest.raises(TypeError):
        network_svg([2, 1], [(1, 0)])
