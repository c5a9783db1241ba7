/*! Roadmap Assistant study companion, loaded by widget.js the first time a learner asks for it:
 *   "Brief me on week N": GET /weeks/N/briefing, shown as a card (plan, overview with sources, resources with
 *   their health, reading time and key sections, what the week builds on, a "Mark week N done" toggle);
 *   "Quiz me": GET /weeks/N/quiz?count=5&seed=random, one question at a time; each answer is checked with
 *   POST /weeks/N/quiz/check and the verdict shows the quoted source, one click from its section.
 * It adds no global: it hands its constructor to the widget through RoadmapAssistant._attach, which the widget
 * sets just before loading this file and removes once called. All text is set as text, never as HTML.
 */
(function () {
  "use strict";
  var RA = window.RoadmapAssistant;
  if (!RA || typeof RA._attach !== "function") return;

  var CSS = [
    ".study h3{margin:0 0 6px;font-size:15px}",
    ".study h4{margin:10px 0 4px;font-size:13px;text-transform:uppercase;letter-spacing:.03em;color:#4b5563}",
    ".study ul{margin:0;padding-left:18px}.study li{margin:2px 0}",
    ".study .muted{color:#4b5563;font-size:13px}",
    ".health{display:inline-block;font-size:11px;font-weight:700;border-radius:999px;padding:0 7px;margin-left:4px;background:#dcfce7;color:#166534}",
    ".health.bad{background:#fee2e2;color:#991b1b}",
    ".study a{color:#1d4ed8}",
    ".qn{font-size:12px;font-weight:700;color:#3730a3}",
    ".qtext{margin:4px 0 8px;white-space:pre-wrap}",
    ".qa{width:100%;resize:vertical;border:1px solid #9ca3af;border-radius:8px;padding:6px 8px;font:inherit;min-height:52px}",
    ".qbar{display:flex;gap:6px;margin-top:6px;flex-wrap:wrap}",
    ".verdict{margin-top:8px;font-weight:700}.v-correct{color:#047857}.v-partial{color:#92400e}.v-incorrect{color:#991b1b}",
    ".quote{margin:6px 0;padding:6px 10px;border-left:3px solid #1d4ed8;background:#f3f4f6;white-space:pre-wrap}",
    ".done{margin-top:10px}"
  ].join("\n");

  RA._attach(function (ctx) {
    var h = ctx.h;
    ctx.shadow.append(h("style", { text: CSS }));
    var VERDICT = { correct: "Correct", partial: "Partly right", incorrect: "Not quite" };

    function getJSON(path, body) {
      var init = body ? { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) }
        : { headers: { Accept: "application/json" } };
      return fetch(ctx.API + path, init).catch(function () {
        throw new Error("Can't reach the assistant. Check your connection and try again.");
      }).then(function (r) {
        if (r.ok) return r.json();
        return ctx.httpError(r).then(function (m) { throw new Error(m); });
      });
    }

    function card(kind, waitText) {
      var el = h("div", { class: "msg bot study " + kind }, h("div", { class: "typing", text: waitText }));
      ctx.add(el);
      return el;
    }

    function failed(el) {
      return function (e) { el.remove(); ctx.fail(e.message); };
    }

    function link(url, text) {
      var safe = ctx.safeUrl(url);
      return safe ? h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, text, h("span", { class: "sr", text: " (opens in a new tab)" }))
        : h("span", { text: text });
    }

    function list(items, render) {
      return h.apply(null, ["ul", {}].concat(items.map(function (x) { return h("li", {}, render(x)); })));
    }

    function isDone(n) { return ctx.done().indexOf(n) >= 0; }
    function setDone(n, on) {
      var d = ctx.done().filter(function (w) { return w !== n; }).concat(on ? [n] : []);
      try { localStorage.setItem(ctx.DONE, JSON.stringify(d)); } catch (e) { /* storage off: nothing kept */ }
      ctx.refresh();
    }

    function doneToggle(n) {
      var btn = h("button", { class: "ab done", type: "button" });
      function label() {
        var on = isDone(n);
        btn.textContent = on ? "✓ Week " + n + " done (undo)" : "Mark week " + n + " done";
        btn.setAttribute("aria-pressed", on ? "true" : "false");
      }
      btn.addEventListener("click", function () { setDone(n, !isDone(n)); label(); });
      label();
      return btn;
    }

    /* ------------------------------------------------------------ briefing */
    function brief(n) {
      var el = card("brief", "Preparing week " + n + "’s briefing…");
      getJSON("/weeks/" + n + "/briefing").then(function (b) { renderBrief(el, b); }, failed(el));
    }

    function renderBrief(el, b) {
      el.textContent = "";
      el.append(h("h3", { text: "Week " + b.week + ": " + b.title }));
      if (b.goals.length) el.append(h("div", {}, h("strong", { text: "Goal: " }), b.goals.join(" ")));
      if (b.weekend_project) el.append(h("div", {}, h("strong", { text: "Project: " }), b.weekend_project));
      if (b.deliverables.length) el.append(h("div", {}, h("strong", { text: "Deliverables: " }), b.deliverables.join("; ")));
      var ov = b.overview || {}, cites = ov.citations || [];
      if (ov.text) {
        el.append(h("h4", { text: "Overview" }));
        var text = h("div", { class: "text" });
        ctx.richText(text, ov.text, cites, el);
        el.append(text);
        if (cites.length) el.append(h.apply(null, ["ol", { class: "sources", "aria-label": "Sources" }].concat(cites.map(ctx.sourceCard))));
      }
      if (b.resources.length) {
        el.append(h("h4", { text: "Read (" + b.reading_minutes + " min)" }));
        el.append(list(b.resources, function (r) {
          var bad = r.health.status !== "indexed" && r.health.status !== "unchanged";
          var out = [link(r.url, r.label), h("span", { class: "health" + (bad ? " bad" : ""), text: r.health.status })];
          if (r.reading_minutes) out.push(h("span", { class: "muted", text: " · " + r.reading_minutes + " min" }));
          if (r.key_sections.length) {
            out.push(h.apply(null, ["div", { class: "muted" }, "Key sections: "].concat(r.key_sections.map(function (k, i) {
              return h("span", {}, i ? ", " : "", link(k.deep_link, k.section));
            }))));
          }
          return h.apply(null, ["span", {}].concat(out));
        }));
      }
      if (b.builds_on.length) {
        el.append(h("h4", { text: "Builds on" }));
        el.append(list(b.builds_on, function (w) {
          return h("span", {}, h("button", {
            class: "ab", type: "button", text: "Week " + w.week + ": " + w.title,
            onclick: function () { ctx.setWeek(w.week); }
          }), " ", h("span", { class: "muted", text: w.reason }));
        }));
      }
      el.append(doneToggle(b.week));
    }

    /* ------------------------------------------------------------ quiz */
    function quiz(n) {
      var el = card("quiz", "Picking questions on week " + n + "…");
      var seed = Math.floor(Math.random() * 1e9);
      getJSON("/weeks/" + n + "/quiz?count=5&seed=" + seed).then(function (q) {
        if (!q.questions.length) { el.remove(); ctx.fail("Week " + n + " has no quiz questions yet."); return; }
        runQuiz(el, n, q.questions);
      }, failed(el));
    }

    function runQuiz(el, n, questions) {
      var i = 0, right = 0;
      function show() {
        el.textContent = "";
        if (i >= questions.length) {
          el.append(h("h3", { text: "Week " + n + " quiz: " + right + " of " + questions.length + " right" }),
            h("div", { class: "qbar" },
              h("button", { class: "ab", type: "button", text: "Quiz me again", onclick: function () { quiz(n); } }),
              doneToggle(n)));
          return;
        }
        var q = questions[i];
        var box = h("textarea", { class: "qa", rows: "2", maxlength: "2000", "aria-label": "Your answer" });
        var checkBtn = h("button", { class: "ab", type: "button", text: "Check" });
        var showBtn = h("button", { class: "ab", type: "button", text: "Show answer" });
        var result = h("div", { role: "status" });
        var text = h("div", { class: "qtext" });
        ctx.richText(text, q.question, [], el);
        el.append(h("div", { class: "qn", text: "Question " + (i + 1) + " of " + questions.length }), text, box,
          h("div", { class: "qbar" }, checkBtn, showBtn), result);
        box.focus();
        function next() {
          var btn = h("button", { class: "ab", type: "button", text: i + 1 < questions.length ? "Next question" : "See my score",
            onclick: function () { i += 1; show(); } });
          result.append(btn);
          btn.focus();
        }
        function reveal(verdict, quote, citation, missing) {
          checkBtn.disabled = showBtn.disabled = box.disabled = true;
          if (verdict) result.append(h("div", { class: "verdict v-" + verdict, text: VERDICT[verdict] }));
          if (missing && missing.length && verdict !== "correct") {
            result.append(h("div", { class: "muted", text: "The source also says: " + missing.join(", ") }));
          }
          result.append(h("div", { class: "quote", text: quote }),
            h("div", { class: "muted" }, "Source: ", link(citation.deep_link || citation.url,
              citation.title + (citation.section && citation.section !== citation.title ? " — " + citation.section : ""))));
          next();
        }
        function check() {
          var answer = box.value.trim();
          if (!answer) { box.focus(); return; }
          checkBtn.disabled = true;
          getJSON("/weeks/" + n + "/quiz/check", { id: q.id, answer: answer }).then(function (r) {
            if (r.verdict === "correct") right += 1;
            reveal(r.verdict, r.quote, r.citation, r.missing);
          }, function (e) { checkBtn.disabled = false; result.textContent = e.message; });
        }
        checkBtn.addEventListener("click", check);
        showBtn.addEventListener("click", function () { reveal(null, q.answer, q.citation, []); });
        box.addEventListener("keydown", function (e) {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); check(); }
        });
      }
      show();
    }

    return { brief: brief, quiz: quiz };
  });
})();
