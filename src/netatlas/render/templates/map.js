/* netatlas HTML map: draws the inlined scene with the vendored cytoscape.
 * Every piece of user data reaches the page through textContent (never innerHTML),
 * and nothing is loaded from anywhere: the data is the JSON block above. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("netatlas-data").textContent);
  var byId = {};
  data.groups.forEach(function (g) { byId[g.id] = g; });
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  data.ghosts.forEach(function (x) { byId[x.id] = x; });
  data.replicas.forEach(function (r) { byId[r.id] = r; });
  var replicaOf = {};
  data.replicas.forEach(function (r) { r.members.forEach(function (m) { replicaOf[m] = r.id; }); });
  var expanded = false;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function table(head, rows, rowClass) {
    var t = el("table"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(tr);
    rows.forEach(function (r, i) {
      var row = el("tr", null, rowClass ? rowClass(i) : "");
      r.forEach(function (c, j) { row.appendChild(el("td", c, j === 1 || /^[0-9a-f:.[\]*/]+$/i.test(String(c)) ? "addr" : "")); });
      t.appendChild(row);
    });
    return t;
  }

  document.getElementById("counts").textContent =
    data.groups.length + " networks · " + data.nodes.length + " nodes · " + data.findings.length + " findings";

  /* ---- graph ---------------------------------------------------------------- */
  var elements = [];
  data.groups.forEach(function (g) {
    elements.push({ group: "nodes", data: { id: g.id, label: g.label, fill: g.fill, stroke: g.stroke, w: g.w, h: g.h },
                    classes: g.members.length ? "network" : "network childless", position: g.pos });
  });
  data.nodes.forEach(function (n) {
    var d = { id: n.id, label: n.label, fill: n.fill, w: n.w, h: n.h };
    if (n.home) { d.parent = n.home; }
    elements.push({ group: "nodes", data: d, classes: n.replica ? "machine member hidden" : "machine", position: n.pos });
  });
  data.replicas.forEach(function (r) {
    var d = { id: r.id, label: r.label, fill: r.fill, w: r.w, h: r.h };
    if (r.home) { d.parent = r.home; }
    elements.push({ group: "nodes", data: d, classes: "machine replica", position: r.pos });
  });
  data.ghosts.forEach(function (x) {
    elements.push({ group: "nodes", data: { id: x.id, label: x.label, w: x.w, h: x.h }, classes: "ghost", position: x.pos });
  });
  data.edges.forEach(function (e) {
    elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, label: e.label, colour: e.colour },
                    classes: e.kind });
  });

  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: elements,
    minZoom: 0.1,
    maxZoom: 4,
    boxSelectionEnabled: false,
    layout: { name: "preset", fit: true, padding: 30 },
    style: [
      { selector: "node.machine", style: {
          "shape": "round-rectangle", "background-color": "data(fill)", "border-width": 1, "border-color": "#102027",
          "label": "data(label)", "color": "#ffffff", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
          "font-size": 13, "font-family": "DejaVu Sans, Arial, sans-serif", "width": "data(w)", "height": "data(h)" } },
      { selector: "node.network", style: {
          "shape": "round-rectangle", "background-color": "data(fill)", "border-color": "data(stroke)", "border-width": 2,
          "label": "data(label)", "color": "data(stroke)", "text-wrap": "wrap", "text-valign": "top", "text-halign": "center",
          "text-margin-y": -4, "font-size": 14, "font-weight": "bold", "font-family": "DejaVu Sans, Arial, sans-serif",
          "padding": 16 } },
      { selector: "node.childless", style: { "text-valign": "center", "text-margin-y": 0, "width": "data(w)", "height": "data(h)" } },
      { selector: "node.ghost", style: {
          "shape": "round-rectangle", "background-color": "#ffebee", "border-color": "#c62828", "border-width": 2,
          "border-style": "dashed", "label": "data(label)", "color": "#c62828", "text-wrap": "wrap", "text-valign": "center",
          "text-halign": "center", "font-size": 13, "width": "data(w)", "height": "data(h)" } },
      { selector: "edge", style: {
          "curve-style": "bezier", "width": 2, "line-color": "data(colour)", "label": "data(label)", "font-size": 12, "text-wrap": "wrap",
          "color": "#263238", "text-background-color": "#ffffff", "text-background-opacity": 0.9, "text-background-padding": 2,
          "font-family": "DejaVu Sans Mono, Menlo, Consolas, monospace" } },
      { selector: "edge.attach", style: { "label": "", "source-label": "data(label)", "source-text-offset": 70,
          "source-text-rotation": "none" } },
      { selector: "edge.forward", style: { "target-arrow-shape": "triangle", "target-arrow-color": "data(colour)", "width": 2.5,
          "curve-style": "unbundled-bezier", "control-point-distances": [40], "color": "#bf360c" } },
      { selector: "edge.stale", style: { "line-style": "dashed", "color": "#c62828" } },
      { selector: ".faded", style: { "opacity": 0.18 } },
      { selector: "node.hl", style: { "border-width": 6, "border-color": "#ff6f00", "opacity": 1 } },
      { selector: "edge.hl", style: { "width": 4, "opacity": 1 } },
      { selector: "node.match", style: { "border-width": 5, "border-color": "#00c853" } },
      { selector: "node:selected", style: { "border-width": 5, "border-color": "#ff6f00" } },
      { selector: "node.replica", style: { "border-width": 4, "border-style": "double", "border-color": "#90caf9" } },
      { selector: ".hidden", style: { "display": "none" } }
    ]
  });

  /* ---- side panel ----------------------------------------------------------- */
  var titleEl = document.getElementById("details-title");
  var body = document.getElementById("details-body");

  function findingsAbout(id) {
    return data.findings.filter(function (f) { return f.groups.indexOf(id) >= 0 || f.nodes.indexOf(id) >= 0; });
  }
  function findingLinks(id) {
    var fs = findingsAbout(id);
    if (!fs.length) { return; }
    body.appendChild(el("h4", "Findings"));
    var ul = el("ul");
    fs.forEach(function (f) {
      var b = el("button", f.title);
      b.type = "button";
      b.addEventListener("click", function () { showFinding(f.id); });
      var li = el("li"); li.appendChild(b); ul.appendChild(li);
    });
    body.appendChild(ul);
  }

  function showNode(id) {
    var n = byId[id];
    clear(body);
    if (!n) { return; }
    if (n.address !== undefined) {  // a ghost
      titleEl.textContent = n.address;
      body.appendChild(el("p", "No node of this map holds this address; something still forwards to it."));
      return;
    }
    titleEl.textContent = n.name;
    body.appendChild(el("p", n.subtitle, "sub"));
    if (n.vantages.length) { body.appendChild(el("p", "Seen from: " + n.vantages.join(", "))); }
    if (n.parent) { body.appendChild(el("p", "Runs in: " + n.parent)); }
    body.appendChild(el("h4", "Attachments"));
    body.appendChild(table(["Network", "Address", "Interface"], n.ports.map(function (p) {
      var g = byId[p.group];
      return [g.cidr + (g.caption ? " (" + g.caption + ")" : ""), p.address || "?", p.interface];
    })));
    body.appendChild(el("h4", "Interfaces"));
    body.appendChild(table(["Interface", "Addresses", "MAC"], n.interfaces.map(function (i) {
      return [i.name, i.addresses.join("\n") || "–", i.mac || ""];
    })));
    if (n.routes.length) {
      body.appendChild(el("h4", "Routes"));
      var ul = el("ul", null, "mono");
      n.routes.forEach(function (r) { ul.appendChild(el("li", r)); });
      body.appendChild(ul);
    }
    if (n.dns.length) { body.appendChild(el("p", "DNS servers: " + n.dns.join(", "))); }
    if (n.forwards.length) {
      body.appendChild(el("h4", "Forwards"));
      var fl = el("ul", null, "mono");
      n.forwards.forEach(function (f) { fl.appendChild(el("li", f)); });
      body.appendChild(fl);
    }
    body.appendChild(el("h4", "Names from here"));
    if (n.names.length) {
      var nl = el("ul", null, "names");
      n.names.forEach(function (r) {
        var li = el("li", null, r.first ? "" : "shadowed");
        var head = el("div");
        head.appendChild(el("b", r.name));
        head.appendChild(el("span", " → "));
        head.appendChild(el("span", r.addresses.join(", "), "mono"));
        head.appendChild(el("span", "  from " + r.vantage + (r.first ? "" : " (not used: an earlier source answers)"), "hint"));
        li.appendChild(head);
        li.appendChild(el("div", r.source + ": " + r.provenance, "prov"));
        nl.appendChild(li);
      });
      body.appendChild(nl);
    } else {
      body.appendChild(el("p", "No name answers were collected here.", "hint"));
    }
    findingLinks(id);
  }

  function showGroup(id) {
    var g = byId[id];
    clear(body);
    titleEl.textContent = g.cidr;
    body.appendChild(el("p", (g.caption ? g.caption + " · " : "") + g.kind + (g.owner ? " · owner " + g.owner : ""), "sub"));
    body.appendChild(el("h4", "On this network"));
    var rows = [];
    data.nodes.forEach(function (n) {
      n.ports.forEach(function (p) { if (p.group === id) { rows.push([n.name, p.address || "?", p.interface]); } });
    });
    body.appendChild(table(["Node", "Address", "Interface"], rows));
    findingLinks(id);
  }

  function showReplica(id) {
    var r = byId[id];
    clear(body);
    titleEl.textContent = r.name;
    body.appendChild(el("p", r.subtitle, "sub"));
    var b = el("button", expanded ? "Collapse replicas on the map" : "Expand replicas on the map");
    b.type = "button";
    b.id = "expand-replicas";
    b.addEventListener("click", function () { setExpanded(!expanded); select(expanded ? r.members[0] : id); });
    body.appendChild(b);
    body.appendChild(el("h4", "Replicas"));
    body.appendChild(table(["Container", "Addresses"], r.members.map(function (m) {
      var n = byId[m];
      return [n.name, n.ports.map(function (p) { return p.address || "?"; }).join(", ")];
    })));
    r.rows.forEach(function (t) { body.appendChild(el("p", t, "mono")); });
  }

  /* Replica sets: one box each, or (expanded) their containers, with the layout
   * computed for that state (pos2). */
  function setExpanded(on) {
    expanded = on;
    cy.batch(function () {
      data.groups.forEach(function (g) { cy.getElementById(g.id).position(on ? g.pos2 : g.pos); });
      data.nodes.forEach(function (n) {
        var e = cy.getElementById(n.id);
        if (n.replica) { if (on) { e.removeClass("hidden"); } else { e.addClass("hidden"); } }
        e.position(on ? n.pos2 : n.pos);
      });
      data.replicas.forEach(function (r) {
        var e = cy.getElementById(r.id);
        if (on) { e.addClass("hidden"); } else { e.removeClass("hidden"); e.position(r.pos); }
      });
    });
  }

  /* What stands for an element on the map now: a collapsed replica's box. */
  function shown(id) { return (!expanded && replicaOf[id]) ? replicaOf[id] : id; }

  /* Bring an element into view at a zoom where its text can be read. */
  function focus(e) {
    if (e.isParent && e.isParent()) {
      cy.animate({ fit: { eles: e, padding: 40 } }, { duration: 250 });
    } else {
      cy.animate({ center: { eles: e }, zoom: Math.max(cy.zoom(), 1) }, { duration: 250 });
    }
  }

  function select(id) {
    id = shown(id);
    var e = cy.getElementById(id);
    if (!e || e.empty()) { return; }
    cy.elements().unselect();
    e.select();
    focus(e);
    if (byId[id] && byId[id].cidr !== undefined && byId[id].members !== undefined) { showGroup(id); }
    else if (byId[id] && byId[id].service !== undefined) { showReplica(id); }
    else { showNode(id); }
  }

  function resetMarks() {
    cy.elements().removeClass("faded hl match");
    Array.prototype.forEach.call(document.querySelectorAll("#finding-list button"), function (b) { b.classList.remove("active"); });
  }

  function highlight(ids, cls) {
    var keep = cy.collection();
    ids.map(shown).forEach(function (id) {
      var e = cy.getElementById(id);
      if (!e.empty()) { keep = keep.union(e).union(e.descendants()).union(e.ancestors()); }
    });
    cy.elements().addClass("faded");
    keep.removeClass("faded").addClass(cls);
    keep.edgesWith(keep).removeClass("faded").addClass(cls === "hl" ? "hl" : "");
    return keep;
  }

  function showFinding(fid) {
    var f = data.findings.filter(function (x) { return x.id === fid; })[0];
    if (!f) { return; }
    resetMarks();
    var button = document.getElementById("finding-" + fid);
    if (button) { button.classList.add("active"); }
    var keep = highlight(f.groups.concat(f.nodes), "hl");
    if (keep.nonempty()) { cy.animate({ fit: { eles: keep, padding: 60 } }, { duration: 250 }); }
    clear(body);
    titleEl.textContent = f.code;
    body.appendChild(el("p", f.title, "sub"));
    f.detail.split(/\n\s*\n/).forEach(function (para) { body.appendChild(el("p", para)); });
    if (f.fix) { body.appendChild(el("h4", "Fix")); body.appendChild(el("pre", f.fix)); }
    var about = f.groups.concat(f.nodes).map(function (id) { return byId[id] ? (byId[id].name || byId[id].cidr) : id; });
    if (about.length) { body.appendChild(el("p", "Concerns: " + about.join(", "), "hint")); }
  }

  var flist = document.getElementById("finding-list");
  if (!data.findings.length) { flist.appendChild(el("li", "None.", "hint")); }
  data.findings.forEach(function (f) {
    var b = el("button");
    b.type = "button";
    b.id = "finding-" + f.id;
    b.appendChild(el("span", f.severity, "sev sev-" + f.severity));
    b.appendChild(el("span", f.code, "code"));
    b.appendChild(el("div", f.title));
    b.addEventListener("click", function () { showFinding(f.id); });
    var li = el("li"); li.appendChild(b); flist.appendChild(li);
  });

  var legend = document.getElementById("legend-list");
  data.legend.forEach(function (k) {
    var li = el("li"), sw = el("span", null, "swatch");
    sw.style.background = k.fill; sw.style.borderColor = k.stroke;
    li.appendChild(sw); li.appendChild(el("span", k.kind + ": " + k.text)); legend.appendChild(li);
  });
  [["#546e7a", "", "attachment: interface and address on that network"],
   ["#d84315", "", "forward: published port or portproxy rule"],
   ["#c62828", " dashed", "stale forward: nobody holds its target"]].forEach(function (x) {
    var li = el("li"), ln = el("span", null, "line" + x[1]);
    ln.style.borderTopColor = x[0];
    li.appendChild(ln); li.appendChild(el("span", x[2])); legend.appendChild(li);
  });

  /* ---- search ---------------------------------------------------------------- */
  var results = document.getElementById("results");
  var rlist = document.getElementById("result-list");
  function search(q) {
    q = (q || "").trim().toLowerCase();
    clear(rlist);
    resetMarks();
    if (!q) { results.hidden = true; return []; }
    var hits = [];
    function has(s) { return s !== null && s !== undefined && String(s).toLowerCase().indexOf(q) >= 0; }
    data.groups.forEach(function (g) {
      if (has(g.cidr) || has(g.caption) || has(g.kind)) { hits.push({ id: g.id, text: "network " + g.cidr + (g.caption ? " (" + g.caption + ")" : "") }); }
    });
    data.nodes.forEach(function (n) {
      var why = [];
      if (has(n.name) || n.vantages.some(has)) { why.push(n.subtitle); }
      n.ports.forEach(function (p) { if (has(p.address) || has(p.interface)) { why.push(p.interface + " " + (p.address || "?")); } });
      n.interfaces.forEach(function (i) { i.addresses.forEach(function (a) { if (has(a) && why.indexOf(i.name + " " + a) < 0) { why.push(i.name + " " + a); } }); });
      if (why.length) { hits.push({ id: n.id, text: n.name + ": " + why.join("; ") }); }
      n.names.forEach(function (r) {
        if (has(r.name) || r.addresses.some(has)) {
          hits.push({ id: n.id, text: r.name + " from " + r.vantage + " → " + r.addresses.join(", ") + " (" + r.source + ": " + r.provenance + ")" + (r.first ? "" : " [not used]") });
        }
      });
    });
    data.ghosts.forEach(function (x) { if (has(x.address)) { hits.push({ id: x.id, text: x.label.replace("\n", " ") }); } });
    data.replicas.forEach(function (r) { if (has(r.name) || has(r.service)) { hits.push({ id: r.id, text: r.name + ": " + r.subtitle }); } });
    results.hidden = false;
    if (!hits.length) { rlist.appendChild(el("li", "Nothing matches.", "hint")); return hits; }
    hits.forEach(function (h) {
      var b = el("button", h.text);
      b.type = "button";
      b.addEventListener("click", function () { select(h.id); });
      var li = el("li"); li.appendChild(b); rlist.appendChild(li);
    });
    highlight(hits.map(function (h) { return h.id; }), "match");
    return hits;
  }
  var box = document.getElementById("search");
  box.addEventListener("input", function () { search(box.value); });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var hits = search(box.value); if (hits.length) { select(hits[0].id); } }
    if (ev.key === "Escape") { box.value = ""; search(""); }
  });

  /* ---- wiring ---------------------------------------------------------------- */
  cy.on("tap", "node", function (ev) { select(ev.target.id()); });
  cy.on("tap", function (ev) { if (ev.target === cy) { resetMarks(); } });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(cy.elements(":visible"), 30); });
  document.getElementById("clear").addEventListener("click", function () { box.value = ""; search(""); cy.elements().unselect(); });

  window.netatlasMap = { cy: cy, data: data, select: select, showFinding: showFinding, search: search,
                         setExpanded: setExpanded, ready: true };
})();
