"""The reference graph of a wiki: a thin wrapper over `networkx.DiGraph`.

Nodes are page ids and claim ids, with attribute `kind` (concept, entity, source,
thesis, claim) and, for claims, `page` (the owning page id). An edge u -> v means
"u refers to or depends on v"; its `relations` attribute says how (contains, cites,
related, used_by, links, depends_on, mentions) and depends_on edges carry a `role`.
"""

from __future__ import annotations

import networkx as nx

DEPENDS_ON = "depends_on"
CONTAINS = "contains"


class WikiGraph:
    """Who refers to whom. Built by `wiki.corpus`; only resolvable references become edges."""

    def __init__(self) -> None:
        self.digraph = nx.DiGraph()

    def add_node(self, node_id: str, kind: str, page: str | None = None) -> None:
        """Add a page (page=None) or a claim of `page`."""
        self.digraph.add_node(node_id, kind=kind, page=page or node_id)

    def add_reference(
        self, source: str, target: str, relation: str, role: str | None = None
    ) -> None:
        """Record that `source` refers to `target` in the way `relation` names."""
        if self.digraph.has_edge(source, target):
            self.digraph.edges[source, target]["relations"].add(relation)
        else:
            self.digraph.add_edge(source, target, relations={relation})
        if role is not None:
            self.digraph.edges[source, target]["role"] = role

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.digraph

    def kind(self, node_id: str) -> str:
        """The kind of a page or claim id (KeyError when unknown)."""
        return self.digraph.nodes[node_id]["kind"]

    def page_of(self, node_id: str) -> str:
        """The page holding `node_id`: itself for a page, the owning page for a claim."""
        return self.digraph.nodes[node_id]["page"]

    def referrers(self, node_id: str) -> list[str]:
        """Ids that refer to `node_id` directly, sorted."""
        return sorted(self.digraph.predecessors(node_id))

    def references(self, node_id: str) -> list[str]:
        """Ids that `node_id` refers to directly, sorted."""
        return sorted(self.digraph.successors(node_id))

    def dependents(self, node_id: str) -> list[str]:
        """Every id that refers to `node_id`, directly or transitively, sorted."""
        return sorted(nx.ancestors(self.digraph, node_id))

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
        thesis_graph = nx.DiGraph(
            (u, v)
            for u, v, relations in self.digraph.edges(data="relations")
            if DEPENDS_ON in relations and self.kind(u) == self.kind(v) == "thesis"
        )
        cycles = []
        for group in nx.strongly_connected_components(thesis_graph):
            start = min(group)
            if len(group) == 1 and not thesis_graph.has_edge(start, start):
                continue
            edges = nx.find_cycle(thesis_graph.subgraph(group), source=start)
            nodes = [u for u, _ in edges]
            first = nodes.index(min(nodes))
            nodes = nodes[first:] + nodes[:first]
            cycles.append([*nodes, nodes[0]])
        return sorted(cycles)

    def _depending(self, target: str) -> list[str]:
        return [
            source
            for source in self.digraph.predecessors(target)
            if DEPENDS_ON in self.digraph.edges[source, target]["relations"]
            and self.kind(source) == "thesis"
        ]

    def _claims_of(self, page_id: str) -> list[str]:
        return [
            claim
            for claim in self.digraph.successors(page_id)
            if CONTAINS in self.digraph.edges[page_id, claim]["relations"]
        ]
