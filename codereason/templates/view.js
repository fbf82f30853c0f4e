// codereason view: filter, search and page through the embedded responses. Plain JavaScript, no request.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("view-data").textContent);
  var R = DATA.responses, N = R.step.length, PAGE = 25, FOLD = 2500;
  var GRADES = ["correct", "incorrect", "no_answer", "parse_error", "timeout"];
  var byProblem = DATA.problems.map(function () { return []; });
  for (var i = 0; i < N; i++) byProblem[R.prob[i]].push(i);
  var lowered = null;  // lower-cased texts, built on the first search
  var matches = [], page = 0;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function options(select, items) {  // items: [[value, label], ...]
    items.forEach(function (it) { var o = el("option", null, it[1]); o.value = it[0]; select.appendChild(o); });
  }

  // ------------------------------------------------------------------ filters
  function setUp() {
    options($("f-bench"), [["", "all"]].concat(DATA.benchmarks.map(function (b, k) { return [String(k), b]; })));
    var names = {};  // step -> its checkpoint names
    for (var i = 0; i < N; i++) (names[R.step[i]] = names[R.step[i]] || {})[DATA.checkpoints[R.ckpt[i]]] = 1;
    options($("f-step"), [["", "all"]].concat(DATA.steps.map(function (s) {
      return [String(s), s + " (" + Object.keys(names[s]).join(", ") + ")"];
    })));
    var present = GRADES.filter(function (g) { return R.grade.indexOf(g) >= 0; });
    R.grade.forEach(function (g) { if (present.indexOf(g) < 0) present.push(g); });
    options($("f-grade"), [["", "any"]].concat(present.map(function (g) { return [g, g.replace("_", " ")]; })));
    var steps = DATA.steps.map(function (s) { return [String(s), String(s)]; });
    options($("f-from"), steps); options($("f-to"), steps);
    $("f-from").value = String(DATA.steps[0]); $("f-to").value = String(DATA.steps[DATA.steps.length - 1]);
    ["f-bench", "f-step", "f-ast", "f-paper", "f-disagree", "f-grade", "f-from", "f-to", "f-move"].forEach(function (id) {
      $(id).addEventListener("change", refresh);
    });
    var timer = null;
    $("f-search").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 120); });
    $("f-reset").addEventListener("click", reset);
    Array.prototype.forEach.call(document.querySelectorAll("#step-table tbody tr"), function (row) {
      row.addEventListener("click", function () { filterByRow(row); });
    });
    $("pv-close").addEventListener("click", closeProblem);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeProblem(); });
    if (DATA.evidence_mismatches) {
      $("summary").appendChild(el("span", "note", " " + DATA.evidence_mismatches + " responses carry an ast label " +
        "(from the input's tag fields) that the evidence shown here does not reproduce; re-tag them with this version."));
    }
  }

  function reset() {
    ["f-bench", "f-step", "f-ast", "f-paper", "f-grade", "f-move", "f-search"].forEach(function (id) { $(id).value = ""; });
    $("f-disagree").checked = false;
    $("f-from").value = String(DATA.steps[0]); $("f-to").value = String(DATA.steps[DATA.steps.length - 1]);
    refresh();
  }

  function filterByRow(row) {
    var b = DATA.benchmarks.indexOf(row.getAttribute("data-bench"));
    $("f-bench").value = b >= 0 ? String(b) : "";
    $("f-step").value = row.getAttribute("data-step");
    refresh();
    $("responses").scrollIntoView();
  }

  function currentFilter() {
    var v = function (id) { return $(id).value; };
    return {
      bench: v("f-bench") === "" ? -1 : +v("f-bench"), step: v("f-step") === "" ? null : +v("f-step"),
      ast: v("f-ast"), paper: v("f-paper"), disagree: $("f-disagree").checked, grade: v("f-grade"),
      move: v("f-move"), from: String(v("f-from")), to: String(v("f-to")),
      search: v("f-search").toLowerCase(),
    };
  }

  function moveOf(i, f) {  // the problem's transition between the two chosen steps, or null
    var st = DATA.problems[R.prob[i]].states, a = st[f.from], b = st[f.to];
    if (a === undefined || b === undefined) return null;
    return (a ? "Code" : "Lang") + "→" + (b ? "Code" : "Lang");
  }

  function keep(i, f) {
    if (f.bench >= 0 && R.bench[i] !== f.bench) return false;
    if (f.step !== null && R.step[i] !== f.step) return false;
    if (f.ast !== "" && R.ast[i] !== +f.ast) return false;
    if (f.paper !== "" && R.paper[i] !== +f.paper) return false;
    if (f.disagree && R.ast[i] === R.paper[i]) return false;
    if (f.grade !== "" && R.grade[i] !== f.grade) return false;
    if (f.move !== "") {
      var s = String(R.step[i]);
      if ((s !== f.from && s !== f.to) || moveOf(i, f) !== f.move) return false;
    }
    if (f.search && lowered[i].indexOf(f.search) < 0) return false;
    return true;
  }

  function refresh() {
    var started = performance.now(), f = currentFilter();
    if (f.search) lowerTexts();
    matches = [];
    var problems = {};
    for (var i = 0; i < N; i++) if (keep(i, f)) { matches.push(i); problems[R.prob[i]] = 1; }
    $("count").textContent = String(matches.length);
    $("count-problems").textContent = String(Object.keys(problems).length);
    $("count-of").textContent = " (of " + N + " on this page" + (DATA.meta.n_shown < DATA.meta.n_total ?
      ", " + DATA.meta.n_total + " read" : "") + ")";
    $("move-note").textContent = f.move ? "problems whose strategy went " + f.move + " from step " + f.from +
      " to step " + f.to + " (" + DATA.meta.strategy + " strategy); their responses at those two steps" : "";
    Array.prototype.forEach.call(document.querySelectorAll("#step-table tbody tr"), function (row) {
      row.classList.toggle("active", f.step !== null && f.bench >= 0 && +row.getAttribute("data-step") === f.step &&
        row.getAttribute("data-bench") === DATA.benchmarks[f.bench]);
    });
    page = 0;
    render();
    document.body.setAttribute("data-filter-ms", (performance.now() - started).toFixed(1));
  }

  // ----------------------------------------------------------------- the list
  function render() {
    var list = $("list"), pages = Math.max(1, Math.ceil(matches.length / PAGE));
    list.textContent = "";
    matches.slice(page * PAGE, (page + 1) * PAGE).forEach(function (i) { list.appendChild(card(i, true)); });
    Array.prototype.forEach.call(document.querySelectorAll(".pager"), function (nav) {
      nav.textContent = "";
      var prev = el("button", "prev", "‹ previous"), next = el("button", "next", "next ›");
      prev.type = next.type = "button";
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
      prev.addEventListener("click", function () { page--; render(); });
      next.addEventListener("click", function () { page++; render(); });
      nav.appendChild(prev);
      nav.appendChild(el("span", "page-of", "page " + (page + 1) + " of " + pages));
      nav.appendChild(next);
    });
  }

  function chip(cls, text, title) { var c = el("span", "chip " + cls, text); if (title) c.title = title; return c; }

  function card(i, withProblemButton) {
    var box = el("article", "card"), head = el("div", "card-head");
    box.setAttribute("data-index", String(i));
    var where = DATA.benchmarks[R.bench[i]] + " · step " + R.step[i] + " (" + DATA.checkpoints[R.ckpt[i]] + ") · problem " +
      DATA.problems[R.prob[i]].id + " · sample " + R.sample[i];
    head.appendChild(el("span", "where", where));
    head.appendChild(chip(R.ast[i] ? "code" : "lang", "ast: " + (R.ast[i] ? "code" : "lang")));
    head.appendChild(chip(R.paper[i] ? "code" : "lang", "paper: " + (R.paper[i] ? "code" : "lang")));
    if (DATA.meta.mode !== "ast" && DATA.meta.mode !== "paper") {
      head.appendChild(chip(R.code[i] ? "code" : "lang", DATA.meta.mode + ": " + (R.code[i] ? "code" : "lang")));
    }
    var g = R.grade[i];
    head.appendChild(chip(g === "correct" || g === "incorrect" ? g : "status", g.replace("_", " ")));
    var ans = el("span", "answer-line");
    ans.appendChild(document.createTextNode("answer "));
    ans.appendChild(el("code", "pred", R.pred[i] === null ? "—" : R.pred[i]));
    ans.appendChild(document.createTextNode(" gold "));
    ans.appendChild(el("code", "gold", R.gold[i] === null ? "—" : R.gold[i]));
    head.appendChild(ans);
    if (withProblemButton) {
      var b = el("button", "problem-button", "problem view");
      b.type = "button";
      b.addEventListener("click", function () { openProblem(R.prob[i]); });
      head.appendChild(b);
    }
    box.appendChild(head);
    box.appendChild(evidenceLine(i));
    var pre = el("pre", "text");
    highlighted(pre, R.text[i], R.spans[i], R.answer[i]);
    box.appendChild(pre);
    if (R.text[i].length > FOLD) {
      box.classList.add("folded");
      var more = el("button", "fold", "show all (" + R.text[i].length + " characters)");
      more.type = "button";
      more.addEventListener("click", function () {
        var folded = box.classList.toggle("folded");
        more.textContent = folded ? "show all (" + R.text[i].length + " characters)" : "fold";
      });
      box.appendChild(more);
    }
    return box;
  }

  function spanLabel(s) {  // s: [start, end, style, tag, language, rejected]
    if (s[4]) return s[4] + " · " + s[2];
    return "```" + (s[3] || "") + " fence rejected: " + s[5];
  }

  function evidenceLine(i) {
    var line = el("div", "evidence"), spans = R.spans[i];
    if (!spans.length) { line.textContent = "no code segment found"; return line; }
    var counts = {}, order = [];
    spans.forEach(function (s) {
      var label = spanLabel(s);
      if (!counts[label]) { counts[label] = { n: 0, cls: s[4] ? "code" : "rej" }; order.push(label); }
      counts[label].n++;
    });
    order.forEach(function (label) {
      line.appendChild(chip(counts[label].cls, label + (counts[label].n > 1 ? " ×" + counts[label].n : "")));
    });
    return line;
  }

  function highlighted(pre, text, spans, answer) {
    var ranges = spans.map(function (s) { return { a: s[0], b: s[1], cls: s[4] ? "code" : "rej", label: spanLabel(s) }; });
    if (answer) ranges.push({ a: answer[0], b: answer[1], cls: "answer",
      label: answer[2] ? "answer" : "answer? (no \\boxed: last place the extracted text occurs)" });
    var cuts = [0, text.length];
    ranges.forEach(function (r) { cuts.push(r.a, r.b); });
    cuts = cuts.filter(function (c, k, all) { return all.indexOf(c) === k; }).sort(function (x, y) { return x - y; });
    for (var k = 0; k + 1 < cuts.length; k++) {
      var a = cuts[k], b = cuts[k + 1], classes = [];
      ranges.forEach(function (r) {
        if (r.a === a) { var m = el("span", "mark " + r.cls, r.label); pre.appendChild(m); }
        if (r.a <= a && b <= r.b) classes.push("seg-" + r.cls);
      });
      var piece = text.slice(a, b);
      if (!classes.length) pre.appendChild(document.createTextNode(piece));
      else pre.appendChild(el("span", classes.join(" "), piece));
    }
  }

  // ------------------------------------------------------------ problem view
  function openProblem(p) {
    var started = performance.now(), problem = DATA.problems[p], view = $("problem-view"), columns = $("pv-columns");
    $("pv-title").textContent = DATA.benchmarks[problem.bench] + " · problem " + problem.id + " · " +
      byProblem[p].length + " responses on this page";
    $("pv-prompt").textContent = problem.prompt || "(no prompt in the input)";
    var states = $("pv-states");
    states.textContent = "strategy per step (" + DATA.meta.strategy + "): ";
    Object.keys(problem.states).sort(function (x, y) { return x - y; }).forEach(function (s) {
      states.appendChild(chip(problem.states[s] ? "code" : "lang", "step " + s + ": " + (problem.states[s] ? "Code" : "Lang")));
    });
    columns.textContent = "";
    var steps = {};
    byProblem[p].forEach(function (i) { (steps[R.step[i]] = steps[R.step[i]] || []).push(i); });
    Object.keys(steps).sort(function (x, y) { return x - y; }).forEach(function (s) {
      var column = el("div", "pv-column");
      column.setAttribute("data-step", s);
      column.appendChild(el("h3", null, "step " + s + " (" + steps[s].length + ")"));
      steps[s].sort(function (x, y) { return R.sample[x] - R.sample[y]; }).forEach(function (i) {
        var c = card(i, false); c.classList.add("pv-card"); column.appendChild(c);
      });
      columns.appendChild(column);
    });
    view.hidden = false;
    view.scrollTop = 0;
    document.body.setAttribute("data-problem-ms", (performance.now() - started).toFixed(1));
  }

  function closeProblem() { $("problem-view").hidden = true; }

  function lowerTexts() { if (!lowered) lowered = R.text.map(function (t) { return t.toLowerCase(); }); }

  setUp();
  refresh();
  setTimeout(lowerTexts, 300);  // ready for the first search, after the first paint
  document.body.setAttribute("data-ready-ms", performance.now().toFixed(0));  // since navigation started
  document.body.setAttribute("data-ready", "1");
})();
