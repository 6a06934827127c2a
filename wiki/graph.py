"""The reference graph of a wiki: a thin wrapper over `networkx.DiGraph`, built on demand.

Nodes are page ids and claim ids, with attribute `kind` (concept, entity, source,
thesis, claim) and, for claims, `page` (the owning page id). An edge u -> v means
"u refers to or depends on v"; its `relations` attribute says how (contains, cites,
related, used_by, links, depends_on, mentions) and depends_on edges carry a `role`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

DEPENDS_ON = "depends_on"
CONTAINS = "contains"


class WikiGraph:
    """Who refers to whom. Built by `wiki.corpus`; only resolvable references become edges.

    The graph is kept in plain dicts and handed out as a `networkx.DiGraph` (`digraph`)
    only when asked: importing networkx costs more than `wiki check` on a small wiki.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, Any]] = {}
        self._edges: dict[tuple[str, str], frozenset[str]] = {}  # relations of each edge
        self._roles: dict[tuple[str, str], str] = {}  # depends_on edges: supports | challenges
        self._successors: dict[str, dict[str, frozenset[str]]] = {}
        self._predecessors: dict[str, dict[str, frozenset[str]]] = {}
        # (relations before, relation added) -> relations after: one frozenset per combination
        self._relation_sets: dict[tuple[frozenset[str] | None, str], frozenset[str]] = {}
        self._digraph: nx.DiGraph | None = None

    @property
    def digraph(self) -> nx.DiGraph:
        """The graph as a `networkx.DiGraph`: node attributes kind and page, edge attributes
        relations (a frozenset) and role (depends_on edges only)."""
        if self._digraph is None:
            import networkx as nx

            digraph = nx.DiGraph()
            digraph.add_nodes_from(self._nodes.items())
            digraph.add_edges_from(
                (u, v, self._edge_attributes(u, v, relations))
                for (u, v), relations in self._edges.items()
            )
            self._digraph = digraph
        return self._digraph

    def add_node(self, node_id: str, kind: str, page: str | None = None) -> None:
        """Add a page (page=None) or a claim of `page`."""
        self._ensure(node_id).update(kind=kind, page=page or node_id)
        self._digraph = None

    def add_reference(
        self, source: str, target: str, relation: str, role: str | None = None
    ) -> None:
        """Record that `source` refers to `target` in the way `relation` names."""
        self.add_references([(source, target, relation, role)])

    def add_references(self, references: Iterable[tuple[str, str, str, str | None]]) -> None:
        """`add_reference` for each (source, target, relation, role), in one loop.

        An edge's relations are a frozenset shared by every edge with the same ones (a
        set per edge was a fifth of linking a 10,000-page wiki, and 40 MB).
        """
        edges, successors, predecessors = self._edges, self._successors, self._predecessors
        shared = self._relation_sets
        for source, target, relation, role in references:
            key = (source, target)
            before = edges.get(key)
            if before is None:
                if source not in successors:
                    self._ensure(source)
                if target not in successors:
                    self._ensure(target)
            if before is None or relation not in before:
                grown = shared.get((before, relation))
                if grown is None:
                    grown = shared[before, relation] = frozenset((*(before or ()), relation))
                edges[key] = successors[source][target] = predecessors[target][source] = grown
            if role is not None:
                self._roles[key] = role
        self._digraph = None

    def _edge_attributes(
        self, source: str, target: str, relations: frozenset[str]
    ) -> dict[str, Any]:
        """An edge's attributes: relations, and role on depends_on edges."""
        role = self._roles.get((source, target))
        return {"relations": relations} if role is None else {"relations": relations, "role": role}

    def kind_or_none(self, node_id: str) -> str | None:
        """The kind of a page or claim id, None when the graph does not hold it."""
        node = self._nodes.get(node_id)
        return None if node is None else node.get("kind")

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def nodes(self) -> list[str]:
        """Every page and claim id, in the order added."""
        return list(self._nodes)

    def kind(self, node_id: str) -> str:
        """The kind of a page or claim id (KeyError when unknown)."""
        return self._nodes[node_id]["kind"]

    def page_of(self, node_id: str) -> str:
        """The page holding `node_id`: itself for a page, the owning page for a claim."""
        return self._nodes[node_id]["page"]

    def attributes(self, node_id: str) -> dict[str, Any]:
        """The node's attributes (kind, page), as `digraph.nodes[node_id]` holds them."""
        return dict(self._nodes[node_id])

    def outgoing(self, node_id: str) -> dict[str, dict[str, Any]]:
        """Each target `node_id` refers to, with the edge's attributes as `digraph` holds
        them (relations, and role on depends_on edges), without building `digraph`."""
        return {
            target: self._edge_attributes(node_id, target, relations)
            for target, relations in self._successors[node_id].items()
        }

    def referrers(self, node_id: str) -> list[str]:
        """Ids that refer to `node_id` directly, sorted."""
        return sorted(self._predecessors[node_id])

    def references(self, node_id: str) -> list[str]:
        """Ids that `node_id` refers to directly, sorted."""
        return sorted(self._successors[node_id])

    def dependents(self, node_id: str) -> list[str]:
        """Every id that refers to `node_id`, directly or transitively, sorted."""
        seen: set[str] = set()
        frontier = list(self._predecessors[node_id])
        while frontier:
            source = frontier.pop()
            if source not in seen:
                seen.add(source)
                frontier.extend(self._predecessors[source])
        seen.discard(node_id)
        return sorted(seen)

    def theses_depending_on(self, node_id: str) -> list[str]:
        """Theses whose `depends_on` reaches `node_id`, directly or through other theses.

        A concept is also reached through any of its claims, and a claim through the
        concept that holds it (a thesis that leans on a concept leans on its claims).
        """
        targets = {node_id}
        if self.kind(node_id) == "concept":
            targets.update(self._claims_of(node_id))
        elif self.kind(node_id) == "claim":
            targets.add(self.page_of(node_id))
        theses: set[str] = set()
        frontier = list(targets)
        while frontier:
            target = frontier.pop()
            for thesis in self._depending(target):
                if thesis not in theses:
                    theses.add(thesis)
                    frontier.append(thesis)
        theses.discard(node_id)
        return sorted(theses)

    def thesis_cycle(self) -> list[str] | None:
        """One dependency cycle between theses, closed (['a', 'b', 'a']), or None."""
        cycles = self.thesis_cycles()
        return cycles[0] if cycles else None

    def thesis_cycles(self) -> list[list[str]]:
        """One closed cycle per group of theses that depend on each other, each starting at
        its smallest id, sorted."""
        edges = [
            (u, v)
            for (u, v), relations in self._edges.items()
            if DEPENDS_ON in relations and self.kind(u) == self.kind(v) == "thesis"
        ]
        if _acyclic(edges):  # the usual case, answered without networkx
            return []
        import networkx as nx

        thesis_graph = nx.DiGraph(edges)
        cycles = []
        for group in nx.strongly_connected_components(thesis_graph):
            start = min(group)
            if len(group) == 1 and not thesis_graph.has_edge(start, start):
                continue
            found = nx.find_cycle(thesis_graph.subgraph(group), source=start)
            nodes = [u for u, _ in found]
            first = nodes.index(min(nodes))
            nodes = nodes[first:] + nodes[:first]
            cycles.append([*nodes, nodes[0]])
        return sorted(cycles)

    def _ensure(self, node_id: str) -> dict[str, Any]:
        if node_id not in self._nodes:
            self._nodes[node_id] = {}
            self._successors[node_id] = {}
            self._predecessors[node_id] = {}
        return self._nodes[node_id]

    def _depending(self, target: str) -> list[str]:
        return [
            source
            for source, relations in self._predecessors[target].items()
            if DEPENDS_ON in relations and self.kind(source) == "thesis"
        ]

    def _claims_of(self, page_id: str) -> list[str]:
        return [
            claim for claim, relations in self._successors[page_id].items() if CONTAINS in relations
        ]


def _acyclic(edges: list[tuple[str, str]]) -> bool:
    """Whether a directed graph given by its edges has no cycle (Kahn: peel off sources)."""
    successors: dict[str, list[str]] = {}
    incoming: dict[str, int] = {}
    for u, v in edges:
        successors.setdefault(u, []).append(v)
        incoming[v] = incoming.get(v, 0) + 1
        incoming.setdefault(u, 0)
    ready = [node for node, count in incoming.items() if count == 0]
    peeled = 0
    while ready:
        node = ready.pop()
        peeled += 1
        for target in successors.get(node, ()):
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return peeled == len(incoming)
