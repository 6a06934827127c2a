"""The thesis-dependency graph, drawn as a standalone SVG from a networkx graph.

What theses rest on, in columns: theses -> claims -> concepts -> sources. networkx places the
nodes (`multipartite_layout`, one layer per kind, after a few barycenter sweeps order each
column to cut crossings); this module only turns positions into SVG. No graphviz, no
JavaScript: every node is an `<a href>` so the drawing works offline in any browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

MENTIONS = "mentions"  # the wiki graph's relation for a [[link]] in prose
DRAWN_KINDS: tuple[str, ...] = ("thesis", "claim", "concept", "source")  # left to right
COLUMN_TITLES = {"thesis": "Theses", "claim": "Claims", "concept": "Concepts", "source": "Sources"}


@dataclass(frozen=True)
class Mark:
    """A note under a node's label (e.g. a claim's grade and verdict, a stale thesis)."""

    text: str
    alert: bool = False  # drawn in red: a moved grade, a stale thesis


@dataclass(frozen=True)
class KindStyle:
    shape: str  # diamond | circle | square | triangle
    fill: str
    legend: str


KIND_STYLES: dict[str, KindStyle] = {
    "thesis": KindStyle("diamond", "#8e44ad", "thesis"),
    "claim": KindStyle("circle", "#d35400", "claim"),
    "concept": KindStyle("square", "#1f6fb2", "concept"),
    "source": KindStyle("triangle", "#1e8449", "source"),
}
EDGE_STYLES = {  # class -> (stroke colour, dash pattern, legend)
    "supports": ("#1e8449", "", "supports (thesis dependency)"),
    "challenges": ("#c0392b", "6 3", "challenges (thesis dependency)"),
    "contains": ("#9aa5b1", "2 3", "claim of a concept"),
    "refers": ("#7f8c8d", "", "cites / refers to"),
}

COLUMN_WIDTH = 300
ROW_HEIGHT = 34  # room for a label and the small mark line under it
NODE_RADIUS = 7
MARGIN = 20
LEGEND_HEIGHT = 64
HEADER_HEIGHT = 30
LABEL_CHARS = 30
CHAR_WIDTH = 6.6  # average advance of a 12px sans-serif character, to place edge ends
ORDERING_SWEEPS = 4


def thesis_dependency_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """The part of the wiki graph that theses rest on: every thesis, everything reachable
    from one through a structural reference (prose `[[mentions]]` are left out: they are
    pointers for readers, not dependencies), and the concept owning each claim reached."""
    structural = nx.DiGraph()
    structural.add_nodes_from(graph.nodes(data=True))
    structural.add_edges_from(
        (u, v, data) for u, v, data in graph.edges(data=True) if _is_structural(graph, u, v)
    )
    kinds = nx.get_node_attributes(graph, "kind")
    theses = [node for node, kind in kinds.items() if kind == "thesis"]
    keep = _reachable(structural, theses)
    owners = {graph.nodes[node].get("page") for node in keep if kinds.get(node) == "claim"}
    keep |= {owner for owner in owners if owner in graph}
    return nx.DiGraph(structural.subgraph(node for node in keep if kinds.get(node) in DRAWN_KINDS))


def _reachable(graph: nx.DiGraph, starts: list[str]) -> set[str]:
    """Every node reachable from any of `starts`, the starts included (one traversal)."""
    seen = set(starts)
    frontier = list(starts)
    while frontier:
        for successor in graph.successors(frontier.pop()):
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return seen


def _is_structural(graph: nx.DiGraph, source: str, target: str) -> bool:
    relations = graph.edges[source, target].get("relations")
    return not relations or bool(set(relations) - {MENTIONS})


def draw_svg(
    graph: nx.DiGraph,
    href: Callable[[str], str],
    label: Callable[[str], str],
    mark: Callable[[str], Mark | None] = lambda node: None,
) -> str:
    """SVG of `graph` (nodes need a `kind` attribute): one column per kind, nodes linking to
    `href(node)`, titled `label(node)`, with `mark(node)` in small print under the label;
    a legend explains shapes, colours and edge styles."""
    if graph.number_of_nodes() == 0:
        return ""
    columns = _ordered_columns(graph)
    positions = _pixel_positions(graph, columns)
    rows = max(len(nodes) for nodes in columns.values())
    width = 2 * MARGIN + len(columns) * COLUMN_WIDTH
    height = LEGEND_HEIGHT + HEADER_HEIGHT + rows * ROW_HEIGHT + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wiki-depgraph" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" role="img"'
        ' aria-label="Thesis dependency graph">',
        _svg_defs(),
        _legend(),
        *_column_headers(columns, positions),
        '<g class="edges">',
        *(_edge(graph, u, v, positions, label) for u, v in sorted(graph.edges)),
        "</g>",
        '<g class="nodes">',
        *(
            _node(node, graph.nodes[node]["kind"], positions[node], href, label, mark(node))
            for node in graph
        ),
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts)


def _ordered_columns(graph: nx.DiGraph) -> dict[int, list[str]]:
    """Nodes per layer, ordered by the barycenter heuristic (a few down and up sweeps)."""
    layer_of = {node: DRAWN_KINDS.index(graph.nodes[node]["kind"]) for node in graph}
    columns: dict[int, list[str]] = {}
    start_order = sorted(graph, key=lambda node: (graph.nodes[node].get("page") or "", node))
    for node in start_order:
        columns.setdefault(layer_of[node], []).append(node)
    columns = dict(sorted(columns.items()))
    neighbours = graph.to_undirected(as_view=True)
    layers = list(columns)
    for _ in range(ORDERING_SWEEPS):
        for previous, layer in zip(layers, layers[1:], strict=False):
            columns[layer] = _by_barycenter(columns[layer], columns[previous], neighbours)
        for following, layer in zip(layers[::-1], layers[-2::-1], strict=False):
            columns[layer] = _by_barycenter(columns[layer], columns[following], neighbours)
    return columns


def _by_barycenter(nodes: list[str], fixed: list[str], neighbours: nx.Graph) -> list[str]:
    index_in_fixed = {node: index for index, node in enumerate(fixed)}

    def barycenter(item: tuple[int, str]) -> tuple[float, int]:
        index, node = item
        linked = [index_in_fixed[n] for n in neighbours[node] if n in index_in_fixed]
        scale = len(fixed) / max(len(nodes), 1)  # nodes with no link keep their own place
        return (sum(linked) / len(linked) if linked else index * scale, index)

    return [node for _, node in sorted(enumerate(nodes), key=barycenter)]


def _pixel_positions(
    graph: nx.DiGraph, columns: dict[int, list[str]]
) -> dict[str, tuple[float, float]]:
    """networkx's multipartite layout, mapped from its unit square to pixels."""
    layout = nx.multipartite_layout(graph, subset_key=columns, align="vertical")
    xs = sorted({round(float(x), 9) for x, _ in layout.values()})
    ys = [float(y) for _, y in layout.values()]
    rows = max(len(nodes) for nodes in columns.values())
    # The layout rescales both axes by one factor: recover it to get back whole steps.
    if len(xs) > 1:
        step = (xs[-1] - xs[0]) / (len(xs) - 1)
    elif rows > 1:
        step = (max(ys) - min(ys)) / (rows - 1)
    else:
        step = 1.0
    top = LEGEND_HEIGHT + HEADER_HEIGHT + ROW_HEIGHT / 2
    lowest = min(ys)
    return {
        node: (
            MARGIN + NODE_RADIUS + 4 + (float(x) - xs[0]) / step * COLUMN_WIDTH,
            top + (float(y) - lowest) / step * ROW_HEIGHT,
        )
        for node, (x, y) in layout.items()
    }


def _svg_defs() -> str:
    markers = "".join(
        f'<marker id="wiki-arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5"'
        f' markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for name, (colour, _, _) in EDGE_STYLES.items()
    )
    style = (
        "<style>"
        ".wiki-depgraph text{font:12px sans-serif;fill:#1b1f24;"
        "paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
        ".wiki-depgraph .column-title{font-weight:bold;font-size:13px}"
        ".wiki-depgraph a:hover text{text-decoration:underline;fill:#1f6fb2}"
        ".wiki-depgraph a:hover .shape{stroke:#1b1f24;stroke-width:2}"
        ".wiki-depgraph .edges path{fill:none;stroke-width:1.2;opacity:.75}"
        "</style>"
    )
    return f"<defs>{markers}</defs>{style}"


def _legend() -> str:
    items: list[str] = []
    x = MARGIN
    for kind in DRAWN_KINDS:
        style = KIND_STYLES[kind]
        items.append(_shape(style, x + NODE_RADIUS, 20))
        items.append(f'<text x="{x + 2 * NODE_RADIUS + 5}" y="24">{style.legend}</text>')
        x += 110
    x = MARGIN
    for name, (colour, dash, legend) in EDGE_STYLES.items():
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        arrow = "" if name == "contains" else f' marker-end="url(#wiki-arrow-{name})"'
        items.append(
            f'<path d="M{x},46 L{x + 28},46" stroke="{colour}" stroke-width="1.5"'
            f"{dash_attribute}{arrow}/>"
        )
        items.append(f'<text x="{x + 34}" y="50">{html.escape(legend)}</text>')
        x += 46 + 7 * len(legend)
    return '<g class="legend">' + "".join(items) + "</g>"


def _column_headers(
    columns: dict[int, list[str]], positions: dict[str, tuple[float, float]]
) -> list[str]:
    headers = []
    for layer, nodes in columns.items():
        x = positions[nodes[0]][0] - NODE_RADIUS
        title = COLUMN_TITLES[DRAWN_KINDS[layer]]
        y = LEGEND_HEIGHT + HEADER_HEIGHT / 2
        headers.append(f'<text class="column-title" x="{x:.1f}" y="{y:.1f}">{title}</text>')
    return headers


def _edge(
    graph: nx.DiGraph,
    source: str,
    target: str,
    positions: dict[str, tuple[float, float]],
    label: Callable[[str], str],
) -> str:
    kind = _edge_kind(graph, source, target)
    colour, dash, _ = EDGE_STYLES[kind]
    (x1, y1), (x2, y2) = positions[source], positions[target]
    if abs(x1 - x2) < 1:  # same column: bow out to the left so the line clears the nodes
        bow = x1 - NODE_RADIUS - 20 - min(abs(y2 - y1) / 6, 60)
        start, end = (x1 - NODE_RADIUS, y1), (x2 - NODE_RADIUS - 1, y2)
        controls = f"{bow:.1f},{y1:.1f} {bow:.1f},{y2:.1f}"
    else:
        # Lines join a node on its left side and leave the left node of the pair after its
        # label, so they never run across the text.
        if x1 < x2:
            start, end = (x1 + _label_end(label(source)), y1), (x2 - NODE_RADIUS - 1, y2)
        else:
            start, end = (x1 - NODE_RADIUS, y1), (x2 + _label_end(label(target)) + 1, y2)
        middle = (start[0] + end[0]) / 2
        controls = f"{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f}"
    d = f"M{start[0]:.1f},{start[1]:.1f} C{controls} {end[0]:.1f},{end[1]:.1f}"
    dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
    arrow = "" if kind == "contains" else f' marker-end="url(#wiki-arrow-{kind})"'
    return f'<path class="{kind}" d="{d}" stroke="{colour}"{dash_attribute}{arrow}/>'


def _shown_label(full_label: str) -> str:
    return full_label if len(full_label) <= LABEL_CHARS else full_label[: LABEL_CHARS - 1] + "…"


def _label_end(full_label: str) -> float:
    """Distance from a node's centre to the end of its label, estimated."""
    return NODE_RADIUS + 5 + len(_shown_label(full_label)) * CHAR_WIDTH + 4


def _edge_kind(graph: nx.DiGraph, source: str, target: str) -> str:
    edge = graph.edges[source, target]
    role = edge.get("role")
    if graph.nodes[source]["kind"] == "thesis" and role in ("supports", "challenges"):
        return str(role)
    contains = "contains" in edge.get("relations", ()) or (
        graph.nodes[target]["kind"] == "claim" and graph.nodes[target].get("page") == source
    )
    return "contains" if contains else "refers"


def _node(
    node: str,
    kind: str,
    position: tuple[float, float],
    href: Callable[[str], str],
    label: Callable[[str], str],
    mark: Mark | None = None,
) -> str:
    x, y = position
    full_label = label(node)
    shown = _shown_label(full_label)
    title = f"{full_label} ({kind}{', ' + mark.text if mark else ''})"
    note = ""
    if mark is not None:
        colour = "#c0392b" if mark.alert else "#666"
        note = (
            f'<text class="mark" x="{x + NODE_RADIUS + 5:.1f}" y="{y + 14:.1f}" font-size="9"'
            f' fill="{colour}">{html.escape(mark.text)}</text>'
        )
    return (
        f'<a href="{html.escape(href(node))}">'
        f"<title>{html.escape(title)}</title>"
        f"{_shape(KIND_STYLES[kind], x, y)}"
        f'<text x="{x + NODE_RADIUS + 5:.1f}" y="{y + 4:.1f}">{html.escape(shown)}</text>'
        f"{note}</a>"
    )


def _shape(style: KindStyle, x: float, y: float) -> str:
    r = NODE_RADIUS
    common = f'class="shape" fill="{style.fill}" stroke="#fff" stroke-width="1"'
    if style.shape == "circle":
        return f'<circle {common} cx="{x:.1f}" cy="{y:.1f}" r="{r}"/>'
    if style.shape == "diamond":
        corners = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
        return f'<polygon {common} points="{_points(corners)}"/>'
    if style.shape == "triangle":
        corners = [(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]
        return f'<polygon {common} points="{_points(corners)}"/>'
    return f'<rect {common} x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}"/>'


def _points(corners: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
