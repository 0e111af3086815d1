// The HTML report's viewer. Everything that comes from a suite or a model is untrusted: it is only
// ever placed with textContent (never innerHTML), so it shows as text and cannot run.
(function () {
  "use strict";
  var PAGE = 200; // item rows drawn at a time: the page stays responsive with thousands of items
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var F = {};
  data.item_fields.forEach(function (name, i) { F[name] = i; });
  var scored = new Set(data.scored_outcomes);
  var items = data.items;
  var byKey = new Map();
  var haystack = [];
  items.forEach(function (it, i) {
    byKey.set(it[F.run] + "\u0000" + it[F.id], it);
    var q = data.questions[it[F.id]] || ["", "", "?", "?"];
    haystack[i] = [it[F.id], q[0], it[F.query], it[F.error], it[F.error_class], it[F.output]].join("\n").toLowerCase();
  });
  var shown = PAGE;
  var matches = [];

  // dom helpers ---------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // Rows open with a click, or with Enter once focused (Tab): one handler on the table body.
  function onRow(body, handler) {
    body.addEventListener("click", function (e) { var tr = e.target.closest("tr"); if (tr) handler(tr); });
    body.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && e.target.tagName === "TR") handler(e.target);
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function outcomeClass(o) { return o === "correct" ? "o-correct" : scored.has(o) ? "o-bad" : "o-infra"; }
  function ms(v) { return v === null || v === undefined ? "–" : v < 1000 ? Math.round(v) + " ms" : (v / 1000).toFixed(2) + " s"; }
  function dash(v) { return v === null || v === undefined || v === "" ? "–" : String(v); }

  function table(headers, rows, id) {
    var t = el("table");
    if (id) t.id = id;
    var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(el("thead")).appendChild(tr);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var r = body.appendChild(el("tr"));
      row.forEach(function (cell) { r.appendChild(el("td", cell)); });
    });
    return t;
  }
  function reportTable(name) {
    var spec = data.tables[name];
    var box = clear($(name + "-table"));
    if (!spec.rows.length) box.appendChild(el("p", "(none)", "note"));
    else box.appendChild(table(spec.headers, spec.rows, "table-" + name));
    if (spec.note) box.appendChild(el("p", spec.note, "note"));
  }

  // summary bars with 95% Wilson whiskers ------------------------------------
  function bars() {
    var metrics = ["syntax", "execution", "accuracy"];
    var rows = data.summary;
    var left = 150, width = 520, rowH = 16, groupGap = 10;
    var height = rows.length * (metrics.length * rowH + groupGap) + 30;
    var root = svg("svg", { width: left + width + 240, height: height, role: "img", "aria-label": "rates with 95% Wilson intervals" });
    var x = function (pct) { return left + (width * pct) / 100; };
    [0, 25, 50, 75, 100].forEach(function (tick) {
      root.appendChild(svg("line", { x1: x(tick), x2: x(tick), y1: 0, y2: height - 18, stroke: "#e3e3e3" }));
      root.appendChild(svg("text", { x: x(tick) - 8, y: height - 4 }, tick + "%"));
    });
    var y = 4;
    rows.forEach(function (rec) {
      root.appendChild(svg("text", { x: 0, y: y + rowH * 1.7 }, rec.label));
      metrics.forEach(function (m) {
        var pct = rec[m + "_pct"];
        if (pct !== null && pct !== undefined) {
          root.appendChild(svg("rect", { x: left, y: y + 2, width: Math.max(0, x(pct) - left), height: rowH - 4, "class": "bar-" + m }));
          var lo = rec[m + "_cluster_lo"] == null ? rec[m + "_lo"] : rec[m + "_cluster_lo"], hi = rec[m + "_cluster_hi"] == null ? rec[m + "_hi"] : rec[m + "_cluster_hi"], mid = y + rowH / 2;
          root.appendChild(svg("line", { x1: x(lo), x2: x(hi), y1: mid, y2: mid, "class": "whisker" }));
          root.appendChild(svg("line", { x1: x(lo), x2: x(lo), y1: y + 2, y2: y + rowH - 2, "class": "whisker" }));
          root.appendChild(svg("line", { x1: x(hi), x2: x(hi), y1: y + 2, y2: y + rowH - 2, "class": "whisker" }));
          root.appendChild(svg("text", { x: x(100) + 6, y: y + rowH - 4 },
            m + " " + pct.toFixed(1) + " [" + lo.toFixed(1) + ", " + hi.toFixed(1) + "]"));
        }
        y += rowH;
      });
      y += groupGap;
    });
    var box = $("bars");
    box.appendChild(root);
    box.appendChild(el("p", "Bars: syntax, execution and accuracy over all scored items; whiskers: 95% clustered interval over the items' groups.", "note"));
  }

  // token diff of gold vs generated Cypher -----------------------------------
  var TOKEN = /\s+|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[^\sA-Za-z0-9_]/g;
  function tokens(text) {
    var out = [], ws = "";
    (text || "").replace(TOKEN, function (t) {
      if (/^\s+$/.test(t)) ws += t; else { out.push({ ws: ws, t: t }); ws = ""; }
      return t;
    });
    return out;
  }
  // Marks the tokens of each side that are not on a longest common subsequence.
  function diff(a, b) {
    var n = a.length, m = b.length;
    if (n * m > 400000) return null;
    var L = [];
    for (var i = 0; i <= n; i++) L.push(new Uint16Array(m + 1));
    for (i = n - 1; i >= 0; i--)
      for (var j = m - 1; j >= 0; j--)
        L[i][j] = a[i].t === b[j].t ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    var ca = new Array(n).fill(true), cb = new Array(m).fill(true);
    i = 0; j = 0;
    while (i < n && j < m) {
      if (a[i].t === b[j].t) { ca[i] = cb[j] = false; i++; j++; }
      else if (L[i + 1][j] >= L[i][j + 1]) i++;
      else j++;
    }
    return [ca, cb];
  }
  function codeBlock(toks, changed, cls) {
    var pre = el("pre");
    toks.forEach(function (tok, i) {
      if (tok.ws) pre.appendChild(document.createTextNode(tok.ws));
      if (changed && changed[i]) pre.appendChild(el("span", tok.t, cls));
      else pre.appendChild(document.createTextNode(tok.t));
    });
    return pre;
  }

  // one item ------------------------------------------------------------------
  function rowsBlock(box, title, rows) {
    if (!rows || !rows.length) return;
    box.appendChild(el("h3", title + " (sample of " + rows.length + ")"));
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    box.appendChild(table(cols, rows.map(function (r) {
      return cols.map(function (k) { return typeof r[k] === "object" ? JSON.stringify(r[k]) : dash(r[k]); });
    })));
  }
  function itemDetail(it) {
    var q = data.questions[it[F.id]] || ["", "", "?", "?"];
    var run = data.runs[it[F.run]];
    var box = el("div", null, "detail");
    box.setAttribute("data-item", it[F.id]);
    box.setAttribute("data-run", run.run_id);
    box.appendChild(el("h3", it[F.id] + " — " + run.label + " (run " + run.run_id + ")"));
    var kv = box.appendChild(el("p", null, "kv"));
    var o = kv.appendChild(el("span", it[F.outcome], outcomeClass(it[F.outcome])));
    o.className += " outcome";
    [["family", q[2]], ["template", q[3]], ["reason", it[F.reason]],
     ["F1", it[F.f1] === null ? null : Number(it[F.f1]).toFixed(3)],
     ["rows (generated / gold)", dash(it[F.row_count]) + " / " + dash(it[F.gold_row_count])],
     ["generation", ms(it[F.gen_ms])], ["judge", ms(it[F.judge_ms])],
     ["tokens (prompt / output)", dash(it[F.prompt_tokens]) + " / " + dash(it[F.output_tokens])],
     ["finish", it[F.finish_reason]], ["attempts", it[F.attempts]]].forEach(function (pair) {
      var s = kv.appendChild(el("span"));
      s.appendChild(el("b", pair[0] + ": "));
      s.appendChild(document.createTextNode(dash(pair[1])));
    });
    box.appendChild(el("p", "Question: " + (q[0] || "–"), "question"));
    if (it[F.error] || it[F.error_class])
      box.appendChild(el("p", (it[F.error_class] ? it[F.error_class] + ": " : "") + dash(it[F.error]), "error item-error"));
    if (it[F.infra_error]) box.appendChild(el("p", "model call error: " + it[F.infra_error], "error"));
    if (it[F.warnings] && it[F.warnings].length) {
      box.appendChild(el("h3", "Warnings"));
      var ul = box.appendChild(el("ul"));
      it[F.warnings].forEach(function (w) { ul.appendChild(el("li", typeof w === "string" ? w : JSON.stringify(w))); });
    }
    var gold = tokens(q[1]), gen = tokens(it[F.query]);
    var marks = it[F.query] ? diff(gold, gen) : null;
    var two = box.appendChild(el("div", null, "two"));
    var left = two.appendChild(el("div", null, "side gold"));
    left.appendChild(el("h3", "Gold Cypher"));
    left.appendChild(codeBlock(gold, marks && marks[0], "del"));
    var right = two.appendChild(el("div", null, "side generated"));
    right.appendChild(el("h3", "Generated query" + (marks ? "" : it[F.query] ? " (too long to mark differences)" : "")));
    right.appendChild(it[F.query] ? codeBlock(gen, marks && marks[1], "ins") : el("p", "(no query extracted)", "note"));
    if (it[F.output] !== null && it[F.output] !== undefined) {
      box.appendChild(el("h3", "Raw model output"));
      box.appendChild(el("pre", it[F.output], "raw-output"));
    }
    rowsBlock(box, "Gold rows missing from the output", it[F.missing]);
    rowsBlock(box, "Extra rows in the output", it[F.extra]);
    return box;
  }
  function openItem(it) {
    var box = clear($("item-detail"));
    box.appendChild(itemDetail(it));
    var others = data.runs.map(function (r, i) { return byKey.get(i + "\u0000" + it[F.id]); })
      .filter(function (x) { return x && x !== it; });
    if (others.length) {
      var p = box.appendChild(el("p", "Same item in: "));
      others.forEach(function (other) {
        var b = p.appendChild(el("button", data.runs[other[F.run]].label + " (" + other[F.outcome] + ")"));
        b.type = "button";
        b.addEventListener("click", function () { openItem(other); });
      });
    }
    box.scrollIntoView({ block: "nearest" });
    // a link to this very item (#item=RUN/ITEM), to share or to come back to
    history.replaceState(null, "", "#item=" + encodeURIComponent(data.runs[it[F.run]].run_id) + "/" +
      encodeURIComponent(it[F.id]));
  }
  function openLinkedItem() {
    var m = /^#item=([^/]+)\/(.+)$/.exec(location.hash);
    if (!m) return;
    var it = byKey.get(runIndex(decodeURIComponent(m[1])) + "\u0000" + decodeURIComponent(m[2]));
    if (it) openItem(it);
  }

  // item browser ----------------------------------------------------------------
  function options(select, values, labels) {
    select.appendChild(el("option", "all")).value = "";
    values.forEach(function (v, i) { select.appendChild(el("option", labels ? labels[i] : v)).value = String(v); });
  }
  function distinct(fn) {
    var set = new Set();
    items.forEach(function (it) { var v = fn(it); if (v !== null && v !== undefined && v !== "") set.add(v); });
    return Array.from(set).sort();
  }
  function setupFilters() {
    options($("f-model"), data.runs.map(function (r, i) { return i; }), data.runs.map(function (r) { return r.label; }));
    var outcomes = distinct(function (it) { return it[F.outcome]; });
    var sel = $("f-outcome");
    options(sel, ["@failed", "@infra"].concat(outcomes), ["failed (scored, not correct)", "infra errors (not scored)"].concat(outcomes));
    options($("f-family"), distinct(function (it) { return (data.questions[it[F.id]] || [])[2]; }));
    options($("f-template"), distinct(function (it) { return (data.questions[it[F.id]] || [])[3]; }));
    options($("f-reason"), distinct(function (it) { return it[F.reason]; }));
    ["f-model", "f-outcome", "f-family", "f-template", "f-reason"].forEach(function (id) {
      $(id).addEventListener("change", applyFilters);
    });
    var timer = null;
    $("f-text").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(applyFilters, 120); });
    $("more").addEventListener("click", function () { shown += PAGE; drawList(); });
    var head = $("item-list").tHead.appendChild(el("tr"));
    ["model", "item", "family", "template", "outcome", "reason", "generation", "question"].forEach(function (h) {
      head.appendChild(el("th", h));
    });
    onRow($("item-list").tBodies[0], function (tr) {
      Array.prototype.forEach.call(tr.parentNode.children, function (r) { r.classList.remove("open"); });
      tr.classList.add("open");
      openItem(matches[Number(tr.getAttribute("data-index"))]);
    });
  }
  function applyFilters() {
    var model = $("f-model").value, outcome = $("f-outcome").value, family = $("f-family").value;
    var template = $("f-template").value, reason = $("f-reason").value;
    var text = $("f-text").value.trim().toLowerCase();
    matches = [];
    items.forEach(function (it, i) {
      var q = data.questions[it[F.id]] || ["", "", "?", "?"];
      var o = it[F.outcome];
      if (model !== "" && String(it[F.run]) !== model) return;
      if (outcome === "@failed" ? !(scored.has(o) && o !== "correct") : outcome === "@infra" ? scored.has(o) : outcome !== "" && o !== outcome) return;
      if (family !== "" && q[2] !== family) return;
      if (template !== "" && q[3] !== template) return;
      if (reason !== "" && it[F.reason] !== reason) return;
      if (text && haystack[i].indexOf(text) < 0) return;
      matches.push(it);
    });
    shown = PAGE;
    drawList();
  }
  function drawList() {
    var body = clear($("item-list").tBodies[0]);
    var frag = document.createDocumentFragment();
    matches.slice(0, shown).forEach(function (it, i) {
      var q = data.questions[it[F.id]] || ["", "", "?", "?"];
      var tr = el("tr");
      tr.setAttribute("data-index", i);
      tr.tabIndex = 0;
      tr.setAttribute("data-item", it[F.id]);
      [data.runs[it[F.run]].label, it[F.id], q[2], q[3]].forEach(function (v) { tr.appendChild(el("td", v)); });
      tr.appendChild(el("td", it[F.outcome], outcomeClass(it[F.outcome])));
      tr.appendChild(el("td", dash(it[F.reason])));
      tr.appendChild(el("td", ms(it[F.gen_ms])));
      tr.appendChild(el("td", q[0], "q"));
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    $("item-count").textContent = matches.length + " of " + items.length + " items match" +
      (matches.length > shown ? "; showing the first " + shown : "");
    $("more").hidden = matches.length <= shown;
  }

  // two runs: flipped items --------------------------------------------------------
  function setupFlips() {
    var sel = $("pair");
    if (!data.comparisons.length) {
      $("pair-summary").textContent = "Only one run in this report: nothing to compare.";
      sel.disabled = true;
      return;
    }
    data.comparisons.forEach(function (c, i) {
      sel.appendChild(el("option", "A = " + c.a.label + "  →  B = " + c.b.label)).value = String(i);
    });
    sel.addEventListener("change", drawFlips);
    var head = $("flip-list").tHead.appendChild(el("tr"));
    ["item", "family", "A outcome", "B outcome", "change"].forEach(function (h) { head.appendChild(el("th", h)); });
    onRow($("flip-list").tBodies[0], function (tr) {
      var c = data.comparisons[Number(sel.value)];
      var ia = runIndex(c.a.run_id), ib = runIndex(c.b.run_id), id = tr.getAttribute("data-item");
      var box = clear($("flip-detail"));
      [ia, ib].forEach(function (r) { var it = byKey.get(r + "\u0000" + id); if (it) box.appendChild(itemDetail(it)); });
    });
    drawFlips();
  }
  function runIndex(runId) {
    for (var i = 0; i < data.runs.length; i++) if (data.runs[i].run_id === runId) return i;
    return -1;
  }
  function drawFlips() {
    var c = data.comparisons[Number($("pair").value)];
    var p = c.paired;
    var pval = p.mcnemar_p === null ? "–" : p.mcnemar_p < 1e-4 ? p.mcnemar_p.toExponential(1) : p.mcnemar_p.toFixed(4);
    $("pair-summary").textContent = c.flips.length + " flipped items (" +
      c.flips.filter(function (f) { return f.direction === "pass->fail"; }).length + " pass->fail, " +
      c.flips.filter(function (f) { return f.direction === "fail->pass"; }).length + " fail->pass) on " +
      p.n_shared + " shared scored items; B − A = " + dash(p.delta_points === null ? null : p.delta_points.toFixed(1)) +
      " points; exact McNemar p = " + pval;
    var body = clear($("flip-list").tBodies[0]);
    c.flips.forEach(function (f) {
      var tr = body.appendChild(el("tr"));
      tr.setAttribute("data-item", f.item_id);
      tr.tabIndex = 0;
      tr.appendChild(el("td", f.item_id));
      tr.appendChild(el("td", dash(f.family_id)));
      tr.appendChild(el("td", f.outcome_a, outcomeClass(f.outcome_a)));
      tr.appendChild(el("td", f.outcome_b, outcomeClass(f.outcome_b)));
      tr.appendChild(el("td", f.direction));
    });
    var notes = clear($("pair-notes"));
    if (c.changed_failures) notes.appendChild(el("li", c.changed_failures + " item(s) failed in both runs with different outcomes"));
    if (c.unscored.length) notes.appendChild(el("li", c.unscored.length + " item(s) left out: infra error on at least one side"));
    if (c.only_in_a.length || c.only_in_b.length)
      notes.appendChild(el("li", c.only_in_a.length + " item(s) only in A, " + c.only_in_b.length + " only in B"));
    if (p.suites_differ) notes.appendChild(el("li", "the runs used different suite hashes: items are matched by id"));
    clear($("flip-detail"));
  }

  // start ------------------------------------------------------------------------
  function start() {
    $("meta").textContent = data.runs.length + " run(s), " + items.length + " items; generated " + data.generated_at +
      " by harness " + data.harness_version + ". Every rate is over all scored items; infra errors are never scored.";
    bars();
    ["summary", "families", "pairs", "conditional", "runs"].forEach(reportTable);
    setupFilters();
    applyFilters();
    setupFlips();
    openLinkedItem();
    document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
    document.body.setAttribute("data-ready", "1");
  }
  try {
    start();
  } catch (err) {
    var box = $("load-error");
    box.hidden = false;
    box.textContent = "This report could not be drawn: " + err;
    throw err;
  }
})();
