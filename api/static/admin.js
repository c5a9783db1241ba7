/*! Roadmap insights page: reads GET /admin/insights (signed in by the page's cookie) and draws it with plain
 * DOM and SVG. Every text from the log or the index (questions, titles, URLs) is set as textContent; links are
 * made only for http(s) URLs. No dependencies, no build step.
 */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v);
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i] != null) el.append(arguments[i]);
    return el;
  }

  function s(tag, attrs, text) {
    var el = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text != null) el.textContent = text;
    return el;
  }

  function pct(x) { return x == null ? "–" : (100 * x).toFixed(x < 0.1 && x > 0 ? 1 : 0) + "%"; }
  function num(x) { return x == null ? "–" : String(x); }
  function ms(x) { return x == null ? "–" : x.toFixed(x < 100 ? 1 : 0) + " ms"; }
  function weekName(w) { return w == null ? "no week" : "Week " + w; }
  function weeksText(ws) { return ws && ws.length ? ws.join(", ") : "–"; }

  function link(url, text) {
    var ok = false;
    try { ok = /^https?:$/.test(new URL(url).protocol); } catch (e) { ok = false; }
    return ok ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: text || url }) : document.createTextNode(text || url || "");
  }

  function table(columns, rows, empty) {
    if (!rows.length) return h("p", { class: "empty", text: empty });
    var head = h("tr");
    columns.forEach(function (c) { head.append(h("th", { class: c.n ? "n" : null, scope: "col", text: c.title })); });
    var body = h("tbody");
    rows.forEach(function (r) {
      var tr = h("tr");
      columns.forEach(function (c) {
        var v = c.get(r);
        tr.append(h("td", { class: c.n ? "n" : c.url ? "url" : null }, typeof v === "string" ? document.createTextNode(v) : v));
      });
      body.append(tr);
    });
    return h("table", {}, h("thead", {}, head), body);
  }

  function fill(id, el) {
    var box = document.getElementById(id);
    box.textContent = "";
    box.append(el);
  }

  /* ---------------------------------------------------------------- the chart */
  function niceStep(max) {
    var raw = max / 4, p = Math.pow(10, Math.floor(Math.log10(raw || 1))), m = raw / p;
    return Math.max(1, (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p);
  }

  function chart(weeks) {
    var W = 760, H = 250, L = 40, R = 10, T = 12, B = 30;
    var max = Math.max(1, Math.max.apply(null, weeks.map(function (w) { return w.questions; })));
    var step = niceStep(max), top = Math.ceil(max / step) * step;
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "chart-title", id: "week-chart" });
    svg.append(s("title", { id: "chart-title" }, "Questions and abstentions per week"));
    var y = function (v) { return T + (H - T - B) * (1 - v / top); };
    var grid = s("g", { class: "grid" });
    for (var v = 0; v <= top; v += step) {
      grid.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      grid.append(s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)));
    }
    svg.append(grid);
    var slot = (W - L - R) / Math.max(1, weeks.length), bw = Math.min(22, slot * 0.36);
    weeks.forEach(function (w, i) {
      var x = L + slot * i + slot / 2;
      var g = s("g", { class: "week", "data-week": w.week == null ? "none" : String(w.week) });
      g.append(s("title", {}, weekName(w.week) + (w.title ? " — " + w.title : "") + ": " + w.questions +
        " questions, " + w.abstained + " abstained (" + pct(w.abstention_rate) + ")"));
      g.append(s("rect", { class: "bar-q", x: x - bw - 1, y: y(w.questions), width: bw, height: y(0) - y(w.questions), "data-value": w.questions }));
      g.append(s("rect", { class: "bar-a", x: x + 1, y: y(w.abstained), width: bw, height: y(0) - y(w.abstained), "data-value": w.abstained }));
      g.append(s("text", { x: x, y: H - B + 16, "text-anchor": "middle" }, w.week == null ? "–" : String(w.week)));
      svg.append(g);
    });
    svg.append(s("text", { x: L + (W - L - R) / 2, y: H - 2, "text-anchor": "middle" }, "week"));
    return svg;
  }

  /* ---------------------------------------------------------------- the sections */
  function totals(d) {
    var t = d.totals, box = h("div", { class: "cards" });
    [["questions", num(t.questions)], ["abstained", pct(t.abstention_rate)], ["thumbs down (of " + t.rated + " rated)", pct(t.thumbs_down_rate)],
     ["median latency", ms(t.median_latency_ms)], ["sessions", num(t.sessions)], ["gap questions", num(t.gap_questions)]]
      .forEach(function (c) { box.append(h("div", { class: "card" }, h("b", { text: c[1] }), h("span", { text: c[0] }))); });
    document.getElementById("window").textContent = "From " + d.since + " to " + d.until + " · index version " + num(d.index_version) +
      (d.log.enabled === false ? " · the question log is off (RA_QUESTION_LOG=off)" : " · entries kept " + d.log.days + " days");
    return box;
  }

  function weekTable(weeks) {
    return table([
      { title: "week", get: function (r) { return weekName(r.week) + (r.title ? ": " + r.title : ""); } },
      { title: "questions", n: 1, get: function (r) { return num(r.questions); } },
      { title: "abstained", n: 1, get: function (r) { return pct(r.abstention_rate); } },
      { title: "thumbs down", n: 1, get: function (r) { return r.rated ? pct(r.thumbs_down_rate) + " of " + r.rated : "–"; } },
      { title: "median latency", n: 1, get: function (r) { return ms(r.median_latency_ms); } }
    ], weeks, "No weeks.");
  }

  function gapList(d) {
    var ul = h("ul", { class: "gaps" });
    d.gaps.forEach(function (g) {
      var c = g.closest, where = h("div", { class: "meta" },
        g.size + (g.size === 1 ? " question" : " questions") + " (" + g.unanswered + " unanswered" +
        (g.sessions ? ", " + g.sessions + (g.sessions === 1 ? " session" : " sessions") : "") + ")");
      if (c) where.append(" · closest: " + weekName(c.week) + " — ", link(c.url, c.title || c.url));
      var ex = h("ul");
      g.examples.forEach(function (q) { ex.append(h("li", { text: q })); });
      ul.append(h("li", { class: "gap" }, h("h3", { text: g.label || "(no terms)" }), where, ex));
    });
    if (!d.gaps.length) ul.append(h("li", { class: "empty", text: "No unanswered or low-confidence questions in this window." }));
    document.getElementById("gaps-sub").textContent = d.totals.gap_questions + " questions the sources did not answer, or answered with confidence below " +
      d.gap_settings.low_confidence + ", grouped by meaning (" + d.gaps.length + " groups).";
    return ul;
  }

  function render(d) {
    fill("totals", totals(d));
    fill("chart", chart(d.weeks));
    fill("weeks", weekTable(d.weeks));
    fill("gaps", gapList(d));
    fill("cited", table([
      { title: "cited", n: 1, get: function (r) { return num(r.cited); } },
      { title: "weeks", get: function (r) { return weeksText(r.weeks); } },
      { title: "page", url: 1, get: function (r) { return link(r.url, r.title || r.url); } }
    ], d.cited_pages, "No answer cited a page in this window."));
    fill("never", table([
      { title: "weeks", get: function (r) { return weeksText(r.weeks); } },
      { title: "chunks", n: 1, get: function (r) { return num(r.chunks); } },
      { title: "page", url: 1, get: function (r) { return link(r.url, r.title || r.url); } }
    ], d.never_cited, "Every indexed page was cited."));
    fill("links", table([
      { title: "cited", n: 1, get: function (r) { return num(r.cited); } },
      { title: "weeks", get: function (r) { return weeksText(r.weeks); } },
      { title: "failure", get: function (r) { return r.reason || String(r.status || ""); } },
      { title: "last cited", get: function (r) { return r.last_cited || "–"; } },
      { title: "link", url: 1, get: function (r) { return link(r.url); } }
    ], d.failing_links, "No failing roadmap link was cited."));
  }

  function load() {
    var since = document.getElementById("since").value;
    document.body.dataset.state = "loading";
    fetch("/admin/insights" + (since ? "?since=" + encodeURIComponent(since) : ""), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; }
      if (!r.ok) throw new Error("the insights could not be loaded (HTTP " + r.status + ")");
      return r.json();
    }).then(function (d) {
      if (!d) return;
      render(d);
      document.body.dataset.state = "ready";
    }).catch(function (e) {
      var main = document.querySelector("main");
      main.prepend(h("section", { class: "error", role: "alert", text: String(e.message || e) }));
      document.body.dataset.state = "error";
    });
  }

  document.getElementById("since").addEventListener("change", load);
  load();
})();
