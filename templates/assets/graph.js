/* The interactive dependency graph (graph page) and the local graph on each page.
 *
 * Data (wiki/graph_data.py): the graph page loads the whole graph, window.wikiGraphData,
 * from assets/graph-data.js (edges as [source, target, kind] index triples); every other
 * page carries its own neighbourhood as JSON in its .wiki-local-graph's data-graph, so
 * no page but the graph page loads the whole wiki. Drawing: cytoscape.js, vendored under
 * assets/vendor/.
 * Nothing is fetched, so it works from file:// as well as served. Text from the wiki only
 * ever reaches the page through textContent, attributes or the canvas, never as HTML.
 *
 * - <div class="wiki-graph-app"> (graph page): search, filters by kind, verdict and
 *   marks, a neighbourhood of n hops around the focused node; with no focus an overview
 *   (everything for small wikis, else the theses and what they lean on, capped).
 *   Tap a node to focus it, tap it again (or its link in the details) to open its page.
 * - <div class="wiki-local-graph" data-node="ID">: ID, its claims and their direct
 *   neighbours; tap a node to open its page.
 * The static SVG next to the app (.wiki-graph-static) stays for readers without scripts.
 */
(function () {
  "use strict";

  var MAX_NODES = 300; // beyond this a drawing is a hairball and slow on phones
  var LOCAL_MAX_NODES = 40;
  var KIND_ORDER = ["thesis", "claim", "concept", "source", "entity"];
  var KIND_SHAPES = {
    thesis: "diamond", claim: "ellipse", concept: "round-rectangle",
    source: "triangle", entity: "hexagon"
  };
  // Mid-tone fills: readable against both the light and the dark (slate) background.
  var KIND_COLOURS = {
    thesis: "#9b59b6", claim: "#e67e22", concept: "#3b82c4",
    source: "#27ae60", entity: "#8a94a0"
  };
  var EDGE_COLOURS = { supports: "#27ae60", challenges: "#e74c3c", contains: "#a0a8b3" };
  var ALERT = "#e74c3c";
  var RAISED = "#27ae60";

  window.wikiGraphs = []; // the cytoscape instances, for tests and the console

  /* Edges as objects, from graph-data.js's index triples or a page's inline list. */
  function expandEdges(doc) {
    if (!doc.edge_kinds) return doc;
    var edges = doc.edges.map(function (triple) {
      return {
        source: doc.nodes[triple[0]].id, target: doc.nodes[triple[1]].id,
        kind: doc.edge_kinds[triple[2]]
      };
    });
    return { nodes: doc.nodes, edges: edges };
  }

  function graphIndex(doc) {
    doc = expandEdges(doc);
    var byId = {}, neighbours = {}, claimsOf = {};
    doc.nodes.forEach(function (node) {
      byId[node.id] = node;
      neighbours[node.id] = [];
      if (node.kind === "claim" && node.page) {
        (claimsOf[node.page] = claimsOf[node.page] || []).push(node.id);
      }
    });
    doc.edges.forEach(function (edge) {
      if (byId[edge.source] && byId[edge.target]) {
        neighbours[edge.source].push(edge.target);
        neighbours[edge.target].push(edge.source);
      }
    });
    return { doc: doc, byId: byId, neighbours: neighbours, claimsOf: claimsOf };
  }

  /* Ids within `hops` of any centre, breadth first, at most `limit`; a concept's claims
     count as the concept itself (they live on its page). */
  function neighbourhood(index, centres, hops, limit) {
    var seen = {}, order = [], frontier = [];
    function visit(id) {
      if (seen[id] || !index.byId[id] || order.length >= limit) return;
      seen[id] = true;
      order.push(id);
      frontier.push(id);
    }
    centres.forEach(function (id) {
      visit(id);
      (index.claimsOf[id] || []).forEach(visit);
    });
    for (var hop = 0; hop < hops && frontier.length; hop++) {
      var current = frontier;
      frontier = [];
      current.forEach(function (id) { index.neighbours[id].forEach(visit); });
    }
    return order;
  }

  function markOf(node) {
    if (node.stale) return "stale";
    if (node.moved === "down") return "down";
    if (node.moved === "up") return "up";
    return "";
  }

  function labelOf(node) {
    var mark = { stale: "\u26a0 STALE \u00b7 ", down: "\u25bc ", up: "\u25b2 " }[markOf(node)] || "";
    var label = mark + (node.short || node.title);  // a source by its short name
    if (node.kind === "claim" && node.grade) {
      var grade = node.moved ? node.literature_grade + "\u2192" + node.grade : node.grade;
      label += "\n" + grade + (node.verdict ? " \u00b7 " + node.verdict : "");
    }
    return label;
  }

  function elementsFor(index, ids, base) {
    var keep = {};
    ids.forEach(function (id) { keep[id] = true; });
    var elements = ids.map(function (id) {
      var node = index.byId[id];
      return {
        group: "nodes",
        data: {
          id: id, label: labelOf(node), kind: node.kind, mark: markOf(node),
          url: base + node.url
        }
      };
    });
    index.doc.edges.forEach(function (edge) {
      if (keep[edge.source] && keep[edge.target]) {
        elements.push({
          group: "edges",
          data: {
            id: edge.source + "\u2192" + edge.target, source: edge.source,
            target: edge.target, kind: edge.kind
          }
        });
      }
    });
    return elements;
  }

  function siteBase() {
    var config = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(config.textContent).base || "."; } catch (error) { /* keep "." */ }
    return base.replace(/\/$/, "") + "/";
  }

  /* The theme's text and background colours as rgb()/rgba(): the browser resolves the CSS
     variables, and cytoscape does not take the theme's 8-digit hex colours. */
  function themeColours() {
    var probe = document.createElement("span");
    probe.style.color = "var(--md-typeset-color, #222)";
    probe.style.backgroundColor = "var(--md-default-bg-color, #fff)";
    probe.hidden = true;
    document.body.appendChild(probe);
    var computed = getComputedStyle(probe);
    var colours = { fg: computed.color, bg: computed.backgroundColor };
    probe.remove();
    return colours;
  }

  function stylesheet() {
    var colours = themeColours();
    var rules = [
      {
        selector: "node",
        style: {
          label: "data(label)", "text-wrap": "wrap", "text-max-width": "130px",
          "font-size": 11, "text-valign": "bottom", "text-margin-y": 4,
          color: colours.fg, "text-outline-color": colours.bg, "text-outline-width": 2,
          "min-zoomed-font-size": 4, width: 18, height: 18,
          "border-width": 1, "border-color": colours.bg
        }
      },
      {
        selector: "edge",
        style: {
          width: 1.3, "curve-style": "bezier", "target-arrow-shape": "triangle",
          "arrow-scale": 0.8, "line-color": "#8a94a0", "target-arrow-color": "#8a94a0",
          opacity: 0.75
        }
      },
      { selector: "node[mark = 'down'], node[mark = 'stale']", style: { "border-width": 4, "border-color": ALERT, color: ALERT } },
      { selector: "node[mark = 'stale']", style: { "border-style": "dashed" } },
      { selector: "node[mark = 'up']", style: { "border-width": 4, "border-color": RAISED } },
      { selector: "node.focus", style: { width: 28, height: 28, "font-weight": "bold", "font-size": 13 } },
      { selector: "node:selected", style: { "overlay-color": colours.fg, "overlay-opacity": 0.15 } }
    ];
    Object.keys(KIND_SHAPES).forEach(function (kind) {
      rules.push({
        selector: "node[kind = '" + kind + "']",
        style: { shape: KIND_SHAPES[kind], "background-color": KIND_COLOURS[kind] }
      });
    });
    Object.keys(EDGE_COLOURS).forEach(function (kind) {
      rules.push({
        selector: "edge[kind = '" + kind + "']",
        style: { "line-color": EDGE_COLOURS[kind], "target-arrow-color": EDGE_COLOURS[kind] }
      });
    });
    rules.push({ selector: "edge[kind = 'challenges']", style: { "line-style": "dashed" } });
    rules.push({ selector: "edge[kind = 'contains']", style: { "line-style": "dotted", "target-arrow-shape": "none" } });
    return rules;
  }

  // Room for the full labels: every layout counts them in a node's size.
  function layoutFor(count, focus) {
    if (focus) {
      return {
        name: "breadthfirst", roots: "#" + cssId(focus), circle: count > 12, spacingFactor: 1.2,
        animate: false, nodeDimensionsIncludeLabels: true
      };
    }
    if (count <= 150) {
      // Layered like the static drawing: theses, then what they lean on, level by level.
      return {
        name: "breadthfirst", roots: "node[kind = 'thesis']", directed: true, spacingFactor: 0.9,
        animate: false, nodeDimensionsIncludeLabels: true
      };
    }
    return {
      name: "concentric", animate: false, minNodeSpacing: 16, nodeDimensionsIncludeLabels: true,
      concentric: function (node) { return node.degree(); }
    };
  }

  function cssId(id) {
    return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/([^\w-])/g, "\\$1");
  }

  function newGraph(container) {
    var cy = window.cytoscape({
      container: container, style: stylesheet(), minZoom: 0.1, maxZoom: 4,
      boxSelectionEnabled: false, autoungrabify: true
    });
    cy.on("mouseover", "node", function () { container.style.cursor = "pointer"; });
    cy.on("mouseout", "node", function () { container.style.cursor = ""; });
    window.wikiGraphs.push(cy);
    return cy;
  }

  function show(cy, elements, focus) {
    cy.elements().remove();
    cy.add(elements);
    if (focus) cy.$id(focus).addClass("focus");
    cy.layout(layoutFor(cy.nodes().length, focus)).run();
    cy.fit(undefined, 24);
  }

  function open(cy, id) {
    var node = cy.$id(id);
    if (node.nonempty()) window.location.href = node.data("url");
  }

  /* --- the local graph on a page ---------------------------------------------------- */

  function localGraph(container, index, base) {
    var id = container.getAttribute("data-node");
    var inline = container.getAttribute("data-graph");
    if (inline) {
      var doc = null;
      try { doc = JSON.parse(inline); } catch (error) { /* no graph, as below */ }
      index = doc ? graphIndex(doc) : null;
    }
    if (!index || !index.byId[id]) return;
    var ids = neighbourhood(index, [id], 1, LOCAL_MAX_NODES);
    if (ids.length < 2) { container.hidden = true; return; }
    var canvas = element("div", "wiki-graph-canvas wiki-graph-canvas--local");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Pages and claims linked to this page; tap one to open it");
    container.appendChild(canvas);
    var cy = newGraph(canvas);
    cy.add(elementsFor(index, ids, base));
    cy.$id(id).addClass("focus");
    cy.layout({
      name: "concentric", animate: false, minNodeSpacing: 18,
      concentric: function (node) { return node.id() === id ? 3 : node.data("kind") === "claim" ? 2 : 1; },
      levelWidth: function () { return 1; }
    }).run();
    cy.fit(undefined, 16);
    cy.on("tap", "node", function (event) { open(cy, event.target.id()); });
    var full = element("a", "wiki-graph-more", "Explore in the full graph");
    full.href = base + "graph.html#node=" + encodeURIComponent(id);
    container.appendChild(full);
  }

  /* --- the graph page --------------------------------------------------------------- */

  function graphApp(container, index, base) {
    var state = { focus: null, hops: 1, kinds: {}, verdict: "", markedOnly: false };
    var kinds = KIND_ORDER.filter(function (kind) {
      return index.doc.nodes.some(function (node) { return node.kind === kind; });
    });
    kinds.forEach(function (kind) { state.kinds[kind] = true; });
    var verdicts = unique(index.doc.nodes.map(function (node) { return node.verdict; }));

    var controls = element("div", "wiki-graph-controls");
    var search = element("input", "wiki-graph-search");
    search.type = "search";
    search.placeholder = "Find a page or claim";
    search.setAttribute("aria-label", "Find a page or claim in the graph");
    var matches = element("div", "wiki-graph-matches");
    controls.appendChild(labelled("Find", search));
    controls.appendChild(matches);

    var filters = element("div", "wiki-graph-filters");
    kinds.forEach(function (kind) {
      var box = element("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", function () { state.kinds[kind] = box.checked; redraw(); });
      filters.appendChild(labelled(kind, box, true));
    });
    var verdictSelect = select(["any verdict"].concat(verdicts), function (value) {
      state.verdict = value === "any verdict" ? "" : value; redraw();
    });
    filters.appendChild(labelled("Claims", verdictSelect));
    var marked = element("input");
    marked.type = "checkbox";
    marked.addEventListener("change", function () { state.markedOnly = marked.checked; redraw(); });
    filters.appendChild(labelled("only stale or moved grades", marked, true));
    var hops = select(["1", "2", "3"], function (value) { state.hops = Number(value); redraw(); });
    filters.appendChild(labelled("Hops", hops));
    var overview = button("Overview", function () { state.focus = null; redraw(); });
    filters.appendChild(overview);
    controls.appendChild(filters);

    var canvas = element("div", "wiki-graph-canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Dependency graph; tap a node to focus it, tap again to open its page");
    var zoom = element("div", "wiki-graph-zoom");
    var status = element("p", "wiki-graph-status");
    status.setAttribute("aria-live", "polite");
    var details = element("div", "wiki-graph-details");
    container.appendChild(controls);
    container.appendChild(status);
    container.appendChild(canvas);
    container.appendChild(zoom);
    container.appendChild(details);

    var cy = newGraph(canvas);
    zoom.appendChild(button("+", function () { cy.zoom({ level: cy.zoom() * 1.3, renderedPosition: centre(canvas) }); }));
    zoom.appendChild(button("\u2212", function () { cy.zoom({ level: cy.zoom() / 1.3, renderedPosition: centre(canvas) }); }));
    zoom.appendChild(button("Fit", function () { cy.fit(undefined, 24); }));

    cy.on("tap", "node", function (event) {
      var id = event.target.id();
      if (state.focus === id) { open(cy, id); return; }
      state.focus = id;
      redraw();
    });

    search.addEventListener("input", function () { listMatches(search.value); });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var first = findNodes(search.value)[0];
        if (first) { state.focus = first.id; redraw(); }
      }
    });

    function findNodes(text) {
      var query = text.trim().toLowerCase();
      if (!query) return [];
      return index.doc.nodes.filter(function (node) {
        var names = (node.title + " " + (node.short || "")).toLowerCase();
        return node.id.indexOf(query) >= 0 || names.indexOf(query) >= 0;
      }).slice(0, 12);
    }

    function listMatches(text) {
      matches.textContent = "";
      findNodes(text).forEach(function (node) {
        matches.appendChild(button(node.title + " (" + node.kind + ")", function () {
          state.focus = node.id; redraw();
        }));
      });
    }

    function passes(node) {
      if (node.id === state.focus) return true;
      if (!state.kinds[node.kind]) return false;
      if (state.verdict && node.kind === "claim" && node.verdict !== state.verdict) return false;
      if (state.markedOnly && !markOf(node) && node.kind !== "concept") return false;
      return true;
    }

    function overviewIds() {
      var all = index.doc.nodes.filter(passes).map(function (node) { return node.id; });
      if (all.length <= MAX_NODES) return { ids: all, total: all.length };
      var theses = all.filter(function (id) { return index.byId[id].kind === "thesis"; });
      var marks = all.filter(function (id) { return markOf(index.byId[id]); });
      var ids = neighbourhood(index, theses.concat(marks), 1, MAX_NODES * 4)
        .filter(function (id) { return passes(index.byId[id]); }).slice(0, MAX_NODES);
      return { ids: ids, total: all.length };
    }

    function redraw() {
      var shown, total;
      if (state.focus) {
        shown = neighbourhood(index, [state.focus], state.hops, MAX_NODES * 4)
          .filter(function (id) { return passes(index.byId[id]); }).slice(0, MAX_NODES);
        total = index.doc.nodes.length;
      } else {
        var view = overviewIds();
        shown = view.ids;
        total = view.total;
      }
      show(cy, elementsFor(index, shown, base), state.focus);
      status.textContent = state.focus
        ? "Showing " + shown.length + " nodes within " + state.hops + " hop" + (state.hops > 1 ? "s" : "") +
          " of \u201c" + index.byId[state.focus].title + "\u201d. Tap it again to open it."
        : "Showing " + shown.length + " of " + total + " nodes" +
          (shown.length < total ? " (the theses and what they lean on); find a node to focus on it." : ".") +
          " Tap a node to focus, tap again to open.";
      describe(state.focus ? index.byId[state.focus] : null);
      if (state.focus && window.history && history.replaceState) {
        history.replaceState(null, "", "#node=" + encodeURIComponent(state.focus));
      }
    }

    function describe(node) {
      details.textContent = "";
      if (!node) return;
      var link = element("a", "wiki-graph-open", node.title);
      link.href = base + node.url;
      var heading = element("p");
      heading.appendChild(link);
      heading.appendChild(document.createTextNode(" \u00b7 " + node.kind));
      details.appendChild(heading);
      var facts = [];
      if (node.grade) facts.push("grade " + (node.moved ? node.literature_grade + " \u2192 " + node.grade : node.grade));
      if (node.verdict) facts.push("runs: " + node.verdict);
      if (node.stale) facts.push("stale: evidence moved since the last review");
      if (facts.length) details.appendChild(element("p", "wiki-graph-facts", facts.join(" \u00b7 ")));
      if (node.statement) details.appendChild(element("p", "", node.statement));
    }

    var requested = /(?:^|[#&])node=([^&]+)/.exec(window.location.hash);
    if (requested) {
      var id = decodeURIComponent(requested[1]);
      if (index.byId[id]) state.focus = id;
    }
    redraw();
  }

  /* --- small DOM pieces ------------------------------------------------------------- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function labelled(text, control, after) {
    var label = element("label", "wiki-graph-label");
    var span = element("span", "", text);
    if (after) { label.appendChild(control); label.appendChild(span); } else { label.appendChild(span); label.appendChild(control); }
    return label;
  }

  function button(text, onClick) {
    var node = element("button", "md-button wiki-graph-button", text);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function select(options, onChange) {
    var node = element("select");
    options.forEach(function (value) { node.appendChild(element("option", "", value)); });
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function unique(values) {
    var seen = {};
    return values.filter(function (value) {
      if (!value || seen[value]) return false;
      seen[value] = true;
      return true;
    }).sort();
  }

  function centre(canvas) {
    return { x: canvas.clientWidth / 2, y: canvas.clientHeight / 2 };
  }

  /* --- start ------------------------------------------------------------------------ */

  function mark(name) {  // timings for benchmarks/bench_graph.py (performance entries)
    if (window.performance && performance.mark) performance.mark(name);
  }

  function start() {
    if (!window.cytoscape) return; // the static SVG stays
    mark("wiki-graph-start");
    var index = window.wikiGraphData ? graphIndex(window.wikiGraphData) : null;
    mark("wiki-graph-indexed");
    var base = siteBase();
    document.querySelectorAll(".wiki-graph-app").forEach(function (container) {
      if (!index) return;
      document.querySelectorAll(".wiki-graph-static").forEach(function (svg) { svg.hidden = true; });
      graphApp(container, index, base);
    });
    document.querySelectorAll(".wiki-local-graph[data-node]").forEach(function (container) {
      localGraph(container, index, base);
    });
    mark("wiki-graph-drawn");
    // Follow the light/dark toggle: label colours come from the theme.
    new MutationObserver(function () {
      window.wikiGraphs.forEach(function (cy) { cy.style(stylesheet()); });
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
