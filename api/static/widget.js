/*! Roadmap Assistant chat widget: one tag, no dependencies.
 *   <script src="https://HOST/widget.js" data-api="https://HOST" data-week="7" defer></script>
 * Attributes: data-api (default: this script's origin), data-week, data-title, data-open ("true"
 * opens the panel at load), data-position ("right" | "left"). Each question is sent with the conversation's
 * last turns as `history`, so follow-ups ("and for week 7?") are understood; "New chat" forgets them.
 * It sends a random per-browser id (localStorage) with questions and ratings, for the question log's session count.
 * All DOM lives in a Shadow DOM root. The only global is window.RoadmapAssistant = {open(), close(),
 * setWeek(n | null), version}. Model and source text is only ever set with textContent, never as HTML.
 * "Brief me on week N" and "Quiz me" load static/study.js on first use; weeks marked done: localStorage.
 */
(function () {
  "use strict";
  if (window.RoadmapAssistant) return; // loaded twice: keep the first

  var script = document.currentScript ||
    Array.prototype.slice.call(document.querySelectorAll("script[src]")).filter(function (s) {
      return /\/widget\.js(\?|#|$)/.test(s.src);
    }).pop();
  var ds = (script && script.dataset) || {};
  var API = (ds.api || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, "");
  var TITLE = ds.title || "Roadmap Assistant";
  var LEFT = ds.position === "left";
  var KEY = "roadmap-assistant:" + API;
  var IDLE_MS = 60000;
  var HISTORY = 8, HISTORY_CHARS = 2000; // the API's limits on `history`
  var MSG = {
    unreachable: "Can't reach the assistant. Check your connection and try again.",
    cut: "The answer was cut off. Try again.",
    slow: "The assistant took too long to answer. Try again."
  };

  function weekOf(v) {
    var n = parseInt(v, 10);
    return n >= 1 && (!known || known.indexOf(n) >= 0) ? n : null;
  }

  /* h("div", {class: "x", onclick: fn, text: "..."}, child...): strings become text nodes, never HTML. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var kid = arguments[i];
      if (kid == null || kid === false) continue;
      el.append(kid);
    }
    return el;
  }

  /* An inline SVG icon (decorative) from one path; `flip` turns it upside down. */
  function icon(d, flip) {
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), p = document.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (flip) svg.setAttribute("transform", "rotate(180)");
    p.setAttribute("d", d);
    svg.append(p);
    return svg;
  }
  var THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  function safeUrl(u) {
    if (typeof u !== "string") return null;
    try {
      var p = new URL(u).protocol;
      return p === "http:" || p === "https:" ? u : null;
    } catch (e) {
      return null;
    }
  }

  function hostOf(u) {
    try { return new URL(u).hostname.replace(/^www\./, ""); } catch (e) { return ""; }
  }

  var CSS = [
    ":host{all:initial!important;display:block!important}",
    "*{box-sizing:border-box}",
    ".root{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2937}",
    "button,select,textarea{font:inherit;color:inherit}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ":focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".launcher{position:fixed;bottom:20px;SIDE:20px;z-index:2147483646;display:flex;align-items:center;gap:8px;",
    "padding:12px 18px;border:0;border-radius:999px;background:#1d4ed8;color:#fff;font-weight:600;cursor:pointer;",
    "box-shadow:0 6px 20px rgba(0,0,0,.25)}",
    ".launcher:hover{background:#1e40af}",
    ".launcher svg{width:20px;height:20px;fill:currentColor}",
    ".panel{position:fixed;bottom:84px;SIDE:20px;z-index:2147483647;width:400px;max-width:calc(100vw - 40px);",
    "height:min(640px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border-radius:14px;",
    "overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.3);border:1px solid #d1d5db}",
    ".panel[hidden]{display:none}",
    ".head{background:#1d4ed8;color:#fff;padding:10px 12px;display:flex;flex-direction:column;gap:8px}",
    ".bar{display:flex;align-items:center;gap:6px}",
    "h2{flex:1;margin:0;font-size:16px;font-weight:700;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".hb{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:8px;padding:4px 10px;cursor:pointer;font-size:13px}",
    ".hb:hover{background:rgba(255,255,255,.15)}",
    ".hb:disabled{opacity:.55;cursor:default}",
    ".studybar{display:flex;gap:6px}.studybar .hb{flex:1}",
    ".x{font-size:20px;line-height:1;padding:2px 9px}",
    "select{width:100%;padding:6px 8px;border-radius:8px;border:1px solid #fff;background:#fff;color:#111827;font-size:14px}",
    ".log{position:relative;flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:12px;background:#f9fafb}",
    ".hello{color:#4b5563;font-size:14px;margin:auto 8px;text-align:center}",
    ".msg{max-width:92%;border-radius:12px;padding:9px 12px;word-wrap:break-word;overflow-wrap:anywhere}",
    ".user{align-self:flex-end;background:#1d4ed8;color:#fff;white-space:pre-wrap}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;width:92%}",
    ".text{white-space:pre-wrap}",
    ".text code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:#f3f4f6;padding:0 3px;border-radius:4px}",
    ".typing{color:#4b5563;font-style:italic}",
    ".cite{color:#1d4ed8;font-weight:600;text-decoration:none;font-size:12px;vertical-align:super;line-height:0;padding:0 1px}",
    ".cite:hover{text-decoration:underline}",
    ".ungrounded{background:#fffbeb;border-color:#d97706}",
    ".flag{display:inline-block;font-size:12px;font-weight:700;color:#92400e;background:#fef3c7;border:1px solid #d97706;",
    "border-radius:999px;padding:1px 8px;margin-bottom:6px}",
    ".scope,.note{font-size:12px;color:#4b5563;margin-top:6px}",
    ".suggest{margin-top:8px;background:#fff;border:1px solid #92400e;color:#92400e;border-radius:8px;padding:5px 10px;cursor:pointer;font-size:13px;font-weight:600}",
    ".suggest:hover{background:#fef3c7}",
    ".sources{list-style:none;margin:10px 0 0;padding:0;display:flex;flex-direction:column;gap:6px}",
    ".src{display:flex;gap:8px;border:1px solid #e5e7eb;border-radius:8px;padding:6px 8px;background:#f9fafb;font-size:13px;transition:background .3s}",
    ".src:focus{outline:3px solid #f59e0b;outline-offset:1px}",
    ".src.flash{background:#dbeafe}",
    ".num{flex:none;font-weight:700;color:#1d4ed8}",
    ".src a,.src .t{color:#1d4ed8;font-weight:600;text-decoration:underline}",
    ".src .t{color:#1f2937;text-decoration:none}",
    ".sec{color:#4b5563}",
    ".meta{display:flex;flex-wrap:wrap;gap:4px;margin-top:3px;align-items:center}",
    ".badge{font-size:11px;font-weight:600;background:#e0e7ff;color:#3730a3;border-radius:999px;padding:0 7px}.more{border:0;cursor:pointer}",
    ".host{font-size:11px;color:#4b5563}",
    ".actions{display:flex;gap:6px;margin-top:8px;align-items:center}",
    ".ab{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:3px 9px;cursor:pointer;font-size:13px;color:#374151}",
    ".ab:hover:not(:disabled){background:#f3f4f6}",
    ".ic{display:flex;align-items:center;padding:4px 8px}.ic svg{width:16px;height:16px;fill:#374151}",
    ".ab[aria-pressed=true] svg{fill:#1d4ed8}",
    ".ab:disabled{cursor:default;opacity:.6}",
    ".ab[aria-pressed=true]{border-color:#1d4ed8;opacity:1}",
    ".thanks{font-size:12px;color:#047857;font-weight:600}",
    ".err{align-self:flex-start;background:#fef2f2;border:1px solid #dc2626;color:#991b1b}",
    ".err .ab{margin-top:6px;display:block}",
    "form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb;background:#fff}",
    "textarea{flex:1;resize:none;border:1px solid #9ca3af;border-radius:10px;padding:8px 10px;min-height:40px;max-height:140px;font-size:15px;background:#fff}",
    ".send{border:0;border-radius:10px;background:#1d4ed8;color:#fff;font-weight:600;padding:0 16px;cursor:pointer}",
    ".send:disabled{background:#6b7280;cursor:default}",
    "@media (max-width:520px){.panel{inset:0;width:100%;max-width:none;height:100%;border-radius:0;border:0}",
    ".open .launcher{display:none}}",
    "@media (prefers-reduced-motion:reduce){.src{transition:none}}"
  ].join("\n").replace(/SIDE/g, LEFT ? "left" : "right");

  /* A random id for this browser (not a person), for the question log's sessions. */
  var SESSION = (function () {
    var k = "roadmap-assistant:session", id = null;
    try { id = localStorage.getItem(k); } catch (e) { id = null; }
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id || "")) {
      var b = new Uint8Array(16);
      crypto.getRandomValues(b);
      id = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
      try { localStorage.setItem(k, id); } catch (e) { /* storage off: one id per page load */ }
    }
    return id;
  })();

  /* -- state (sessionStorage) */
  var convo = [];
  try { convo = JSON.parse(sessionStorage.getItem(KEY) || "[]") || []; } catch (e) { convo = []; }
  if (!Array.isArray(convo)) convo = [];
  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(convo.slice(-40))); } catch (e) { /* storage off: keep in memory */ }
  }

  /* -- DOM */
  var hostEl = document.createElement("roadmap-assistant");
  var shadow = hostEl.attachShadow({ mode: "open" });
  shadow.append(h("style", { text: CSS }));

  var launcher = h("button", {
    class: "launcher", type: "button", "aria-label": "Ask " + TITLE, "aria-expanded": "false",
    "aria-controls": "ra-panel", onclick: function () { panel.hidden ? open() : close(); }
  });
  launcher.append(icon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"), h("span", { text: "Ask" }));

  var select = h("select", { id: "ra-week", "aria-label": "Week to search", onchange: function () { week = weekOf(select.value); studyLabels(); } });
  var briefBtn = h("button", { class: "hb", type: "button", onclick: function () { study("brief"); } });
  var quizBtn = h("button", { class: "hb", type: "button", text: "Quiz me", onclick: function () { study("quiz"); } });
  var log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  var input = h("textarea", {
    id: "ra-input", rows: "1", maxlength: "2000", placeholder: "Ask about the roadmap…", "aria-label": "Your question",
    oninput: grow, onkeydown: function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    }
  });
  var sendBtn = h("button", { class: "send", type: "submit", text: "Send" });
  var panel = h("div", { class: "panel", id: "ra-panel", role: "dialog", "aria-label": TITLE, hidden: true },
    h("div", { class: "head" },
      h("div", { class: "bar" },
        h("h2", { text: TITLE }),
        h("button", { class: "hb", type: "button", text: "New chat", onclick: newChat }),
        h("button", { class: "hb x", type: "button", text: "×", "aria-label": "Close", onclick: function () { close(); } })),
      select,
      h("div", { class: "studybar" }, briefBtn, quizBtn)),
    log,
    h("form", { onsubmit: function (e) { e.preventDefault(); send(); } }, input, sendBtn));
  var root = h("div", { class: "root" }, launcher, panel);
  shadow.append(root);
  shadow.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { e.stopPropagation(); close(); }
  });

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  }

  /* -- week selector */
  var week = weekOf(ds.week);
  var weeksLoaded = false, known = null;
  var weekList = [];
  function fillWeeks(list) {
    weekList = list;
    var done = doneWeeks();
    select.textContent = "";
    select.append(h("option", { value: "", text: "All weeks" }));
    list.forEach(function (w) {
      var name = w.title ? "Week " + w.number + ": " + w.title : "Week " + w.number;
      select.append(h("option", { value: String(w.number), text: (done.indexOf(w.number) >= 0 ? "✓ " : "") + name }));
    });
    select.value = week ? String(week) : "";
  }
  fillWeeks(week ? [{ number: week }] : []);
  function loadWeeks() {
    if (weeksLoaded) return;
    weeksLoaded = true;
    fetch(API + "/weeks", { headers: { Accept: "application/json" } }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (body) {
      var list = body && body.weeks;
      if (Array.isArray(list) && list.length) {
        fillWeeks(list.map(function (w) { return { number: weekOf(w.number), title: w.title }; })
          .filter(function (w) { return w.number; }));
        known = weekList.map(function (w) { return w.number; });
        setWeek(week);
      }
    }).catch(function () { weeksLoaded = false; });
  }
  function setWeek(n) {
    week = weekOf(n);
    if (week && !known) fillWeeks([{ number: week }]);
    select.value = week ? String(week) : "";
    studyLabels();
  }

  /* -- study companion (static/study.js) */
  var DONE = "roadmap-assistant:done:" + API, studyMod = null, waiting = [];
  function doneWeeks() {
    try { var d = JSON.parse(localStorage.getItem(DONE) || "[]"); return Array.isArray(d) ? d : []; } catch (e) { return []; }
  }
  function studyLabels() {
    var on = week ? " on week " + week : "";
    briefBtn.textContent = "Brief me" + on;
    quizBtn.setAttribute("aria-label", "Quiz me" + on);
    briefBtn.disabled = quizBtn.disabled = !week;
  }
  studyLabels();
  function study(what) {
    if (studyMod) return studyMod[what](week);
    if (waiting.push([what, week]) > 1) return;
    var tag = h("script", { src: API + "/static/study.js" });
    tag.onerror = function () { waiting = []; tag.remove(); fail("Can't load the study companion. Try again."); };
    RA._attach = function (make) {
      delete RA._attach;
      studyMod = make({ API: API, DONE: DONE, h: h, shadow: shadow, richText: richText, sourceCard: sourceCard,
        safeUrl: safeUrl, httpError: httpError, setWeek: setWeek, fail: fail, done: doneWeeks,
        refresh: function () { fillWeeks(weekList); },
        add: function (el) { var hi = log.querySelector(".hello"); if (hi) hi.remove(); log.append(el); scrollDown(true); } });
      waiting.splice(0).forEach(function (w) { studyMod[w[0]](w[1]); });
    };
    document.head.append(tag);
  }

  /* -- open / close */
  function open() {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    loadWeeks();
    scrollDown(true);
    input.focus();
  }
  function close() {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  function near() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollDown(force) {
    if (force || near()) log.scrollTop = log.scrollHeight;
  }

  /* -- rendering */
  function hello() {
    return h("p", { class: "hello", text: "Ask anything about the roadmap. Answers cite the pages they come from." });
  }

  /* Answer text: [n] links to source card n, `code` and **bold** elements, all as text nodes. */
  function richText(el, text, cites, msgEl) {
    var nums = {};
    cites.forEach(function (c) { nums[c.n] = c; });
    var re = /\[(\d{1,2})\]|`([^`\n]+)`|\*\*([^*\n]+)\*\*/g, last = 0, m;
    while ((m = re.exec(text))) {
      el.append(text.slice(last, m.index));
      if (m[1] && nums[m[1]]) {
        el.append(citeLink(+m[1], nums[m[1]], msgEl));
      } else if (m[2]) el.append(h("code", { text: m[2] }));
      else if (m[3]) el.append(h("strong", { text: m[3] }));
      else el.append(m[0]);
      last = re.lastIndex;
    }
    el.append(text.slice(last));
  }

  function citeLink(n, c, msgEl) {
    return h("a", {
      class: "cite", href: "#cite-" + n, "aria-label": "Source " + n + ": " + (c.title || ""), text: "[" + n + "]",
      onclick: function (e) {
        e.preventDefault();
        var card = msgEl.querySelector('.src[data-n="' + n + '"]');
        if (!card) return;
        card.scrollIntoView({ block: "nearest", behavior: "smooth" });
        card.focus({ preventScroll: true });
        card.classList.add("flash");
        setTimeout(function () { card.classList.remove("flash"); }, 1200);
      }
    });
  }

  function badges(weeks, scope) {
    var b = function (w) { return h("span", { class: "badge", text: "Week " + w }); }, rest = weeks.filter(function (w) { return w !== scope; });
    if (rest.length === weeks.length) scope = rest.shift();
    var more = rest.length && h("button", { class: "badge more", type: "button", text: "+" + rest.length,
      "aria-label": "+" + rest.length + ", also in weeks " + rest.join(", "), onclick: function () { more.replaceWith.apply(more, rest.map(b)); } });
    return scope == null ? [] : [b(scope), more || null];
  }

  function sourceCard(scope, c) {
    var url = safeUrl(c.deep_link) || safeUrl(c.url);
    var title = c.title || c.url || "Source";
    var weeks = Array.isArray(c.weeks) ? c.weeks : [];
    return h("li", { class: "src", "data-n": String(c.n), tabindex: "-1", "aria-label": "Source " + c.n + ": " + title },
      h("span", { class: "num", "aria-hidden": "true", text: "[" + c.n + "]" }),
      h("div", {},
        url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, title, h("span", { class: "sr", text: " (opens in a new tab)" }))
          : h("span", { class: "t", text: title }),
        c.section && c.section !== title ? h("div", { class: "sec", text: c.section }) : null,
        h.apply(null, ["div", { class: "meta" }].concat(badges(weeks, scope),
          [url ? h("span", { class: "host", text: hostOf(url) }) : null]))));
  }

  /* The last turns, as the API's `history`: questions and answers, errors left out. */
  function history() {
    var out = [];
    convo.forEach(function (item) {
      var text = item.role === "user" ? item.text : item.role === "assistant" && item.data ? item.data.answer : null;
      if (typeof text === "string" && text.trim()) {
        out.push({ role: item.role, content: text.slice(0, HISTORY_CHARS) });
      }
    });
    return out.slice(-HISTORY);
  }

  function norm(s) { return String(s || "").replace(/\s+/g, " ").trim().toLowerCase(); }

  function scopeText(d) {
    if (d.widened && d.week) return "Nothing in week " + d.week + ", so all weeks were searched.";
    if (d.scope === "week" && d.week) return "Searched week " + d.week + ".";
    return "Searched all weeks.";
  }

  function copyText(d) {
    var lines = [d.answer || ""];
    if (d.citations && d.citations.length) {
      lines.push("", "Sources:");
      d.citations.forEach(function (c) { lines.push("[" + c.n + "] " + c.title + (c.section ? " — " + c.section : "") + " — " + c.deep_link); });
    }
    return lines.join("\n");
  }

  function copy(text, btn) {
    function done(ok) {
      btn.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(function () { btn.textContent = "Copy"; }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var ta = h("textarea", { class: "sr", "aria-hidden": "true" });
    ta.value = text;
    root.append(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    btn.focus();
    done(ok);
  }

  function actions(item) {
    var d = item.data, up, down;
    var status = h("span", { class: "thanks", role: "status" });
    function vote(rating) {
      up.disabled = down.disabled = true;
      (rating === "up" ? up : down).setAttribute("aria-pressed", "true");
      status.textContent = "Sending…";
      fetch(API + "/feedback", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: item.question, answer: (d.answer || "").slice(0, 8000), citations: (d.citations || []).slice(0, 20),
          rating: rating, answer_id: typeof d.id === "string" ? d.id : null, session: SESSION })
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        item.vote = rating;
        save();
        status.textContent = "Thanks";
      }).catch(function () {
        up.disabled = down.disabled = false;
        (rating === "up" ? up : down).setAttribute("aria-pressed", "false");
        status.textContent = "Couldn't send feedback.";
      });
    }
    var copyBtn = h("button", { class: "ab", type: "button", text: "Copy", "aria-label": "Copy answer", onclick: function () { copy(copyText(d), copyBtn); } });
    up = h("button", { class: "ab ic", type: "button", "aria-label": "Helpful", "aria-pressed": item.vote === "up" ? "true" : "false", onclick: function () { vote("up"); } });
    down = h("button", { class: "ab ic", type: "button", "aria-label": "Not helpful", "aria-pressed": item.vote === "down" ? "true" : "false", onclick: function () { vote("down"); } });
    up.append(icon(THUMB));
    down.append(icon(THUMB, true));
    if (item.vote) { up.disabled = down.disabled = true; status.textContent = "Thanks"; }
    return h("div", { class: "actions" }, copyBtn, up, down, status);
  }

  function renderAnswer(el, item) {
    var d = item.data || {}, cites = Array.isArray(d.citations) ? d.citations : [];
    el.textContent = "";
    el.className = "msg bot" + (d.grounded ? "" : " ungrounded");
    if (!d.grounded) el.append(h("div", { class: "flag", text: "Not in the sources" }));
    var text = h("div", { class: "text" });
    richText(text, String(d.answer || ""), cites, el);
    el.append(text);
    if (d.note && String(d.answer || "").indexOf(d.note) < 0) el.append(h("div", { class: "note", text: d.note }));
    var sw = d.suggested && Array.isArray(d.suggested.weeks) ? weekOf(d.suggested.weeks[0]) : null;
    if (!d.grounded && sw && !(d.scope === "week" && d.week === sw)) {
      el.append(h("button", {
        class: "suggest", type: "button", text: "Switch to week " + sw,
        onclick: function () {
          setWeek(sw);
          if (!input.value.trim()) input.value = item.question || "";
          input.focus();
        }
      }));
    }
    el.append(h("div", { class: "scope", text: scopeText(d) }));
    if (d.query && norm(d.query) !== norm(item.question)) el.append(h("div", { class: "scope query", text: "Searched for: " + d.query }));
    if (cites.length) {
      el.append(h.apply(null, ["ol", { class: "sources", "aria-label": "Sources" }].concat(cites.map(sourceCard.bind(null, d.week)))));
    }
    el.append(actions(item));
  }

  function errorEl(item) {
    var el = h("div", { class: "msg err" }, h("div", { text: item.text }));
    if (item.question) {
      el.append(h("button", { class: "ab", type: "button", text: "Try again", onclick: function () { if (!busy) send(item.question); } }));
    }
    return el;
  }

  function render(item) {
    if (item.role === "user") return h("div", { class: "msg user", text: item.text });
    if (item.role === "error") return errorEl(item);
    var el = h("div", { class: "msg bot" });
    renderAnswer(el, item);
    return el;
  }

  function renderAll() {
    log.textContent = "";
    if (!convo.length) log.append(hello());
    convo.forEach(function (item) { log.append(render(item)); });
  }

  /* -- asking */
  var busy = false, ctrl = null;

  function setBusy(b) {
    busy = b;
    sendBtn.disabled = b;
    log.setAttribute("aria-busy", b ? "true" : "false");
  }

  function fail(text, question) {
    var item = { role: "error", text: text, question: question };
    convo.push(item);
    save();
    log.append(errorEl(item));
    scrollDown(true);
  }

  function retryText(res) {
    var v = res.headers.get("Retry-After"), n = parseInt(v, 10);
    if (isNaN(n) && v) n = Math.ceil((Date.parse(v) - Date.now()) / 1000);
    return isNaN(n) || n < 0 ? "Too many questions — try again in a moment."
      : "Too many questions — try again in " + Math.max(1, n) + " second" + (n === 1 ? "" : "s") + ".";
  }

  function httpError(res) {
    if (res.status === 429) return Promise.resolve(retryText(res));
    return res.json().catch(function () { return null; }).then(function (b) {
      var m = b && b.error && typeof b.error.message === "string" ? b.error.message : "";
      if (res.status === 503) return "The assistant isn't ready yet" + (m ? " (" + m + ")" : "") + ". Try again in a minute.";
      return "The assistant couldn't answer (error " + res.status + ")" + (m ? ": " + m : "") + ".";
    });
  }

  /* Read a text/event-stream body: onEvent(name, data) per event; resolves at its end. */
  function readSSE(res, onEvent, onChunk) {
    var reader = res.body.getReader(), dec = new TextDecoder(), buf = "", carry = "";
    function block(b) {
      var name = "message", data = [];
      b.split("\n").forEach(function (line) {
        if (!line || line[0] === ":") return;
        var i = line.indexOf(":"), f = i < 0 ? line : line.slice(0, i), v = i < 0 ? "" : line.slice(i + 1);
        if (v[0] === " ") v = v.slice(1);
        if (f === "event") name = v;
        else if (f === "data") data.push(v);
      });
      if (data.length) return onEvent(name, data.join("\n"));
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) return;
        onChunk();
        var t = carry + dec.decode(r.value, { stream: true });
        carry = "";
        if (t.slice(-1) === "\r") { carry = "\r"; t = t.slice(0, -1); }
        buf += t.replace(/\r\n?/g, "\n");
        var i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          var b = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block(b) === false) { reader.cancel().catch(function () {}); return; }
        }
        return pump();
      });
    }
    return pump();
  }

  function send(text) {
    var q = (typeof text === "string" ? text : input.value).trim();
    if (!q || busy) return;
    if (typeof text !== "string") { input.value = ""; grow(); }
    var hi = log.querySelector(".hello");
    if (hi) hi.remove();
    var past = history(), user = { role: "user", text: q };
    convo.push(user);
    save();
    log.append(render(user));
    var el = h("div", { class: "msg bot" }), typing = h("div", { class: "typing", text: "Searching the sources…" });
    var textEl = h("div", { class: "text" });
    el.append(typing, textEl);
    log.append(el);
    scrollDown(true);
    setBusy(true);

    var my = ctrl = new AbortController(), timer = null, timedOut = false, started = false;
    var answer = null, errorMsg = null;
    function idle() {
      clearTimeout(timer);
      timer = setTimeout(function () { timedOut = true; my.abort(); }, IDLE_MS);
    }
    idle();
    fetch(API + "/ask/stream", {
      method: "POST", signal: my.signal,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(past.length ? { question: q, week: week, history: past, session: SESSION }
        : { question: q, week: week, session: SESSION })
    }).then(function (res) {
      started = true;
      if (!res.ok || !res.body) {
        return httpError(res).then(function (m) { errorMsg = m; });
      }
      return readSSE(res, function (name, data) {
        var d;
        try { d = JSON.parse(data); } catch (e) { return; }
        if (name === "meta") {
          typing.textContent = d && d.scope === "week" && d.week ? "Reading week " + d.week + "’s sources…" : "Reading the sources…";
        } else if (name === "token" && d && typeof d.text === "string") {
          if (typing.parentNode) typing.remove();
          textEl.append(d.text);
          scrollDown();
        } else if (name === "answer" && d) {
          answer = d;
        } else if (name === "error") {
          errorMsg = (d && typeof d.message === "string" && d.message) || MSG.cut;
          return false;
        } else if (name === "done") {
          return false;
        }
      }, idle);
    }).catch(function () {
      if (my.signal.aborted && !timedOut) return; // new chat: dropped on purpose
      if (!answer) errorMsg = timedOut ? MSG.slow : started ? MSG.cut : MSG.unreachable;
    }).then(function () {
      clearTimeout(timer);
      if (ctrl === my) { ctrl = null; setBusy(false); }
      if (my.signal.aborted && !timedOut) return;
      var follow = near();
      if (answer && !errorMsg) {
        var item = { role: "assistant", question: q, data: answer };
        convo.push(item);
        save();
        renderAnswer(el, item);
        // keep following: the whole answer when it fits, else its beginning
        if (follow) log.scrollTop = Math.min(el.offsetTop - 8, log.scrollHeight - log.clientHeight);
      } else {
        el.remove();
        fail(errorMsg || MSG.cut, q);
      }
    });
  }

  function newChat() {
    if (ctrl) { ctrl.abort(); ctrl = null; setBusy(false); }
    convo = [];
    try { sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ }
    renderAll();
    input.focus();
  }

  /* -- start */
  function start() {
    document.body.append(hostEl);
    renderAll();
    if (ds.open === "true") open();
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);

  var RA = window.RoadmapAssistant = {
    open: function () { open(); }, close: function () { close(); }, setWeek: setWeek, version: "1"
  };
})();
