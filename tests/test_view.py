"""``codereason view``: evidence, sampling, the page in a real browser (Debian's chromium via Playwright).

The browser tests open the written file, apply each filter and compare the
count the page shows with the same filter applied with pandas to the response
table of the same input.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from codereason import classify
from codereason.track import TrackOptions, transition_table
from codereason.view import write_view
from codereason.view.data import problem_states, resolve_strategy, sample_responses, view_responses
from codereason.view.evidence import answer_span, code_evidence
from codereason.view.page import embed_json, grade_status
from tests.view_fixtures import write_toy_rollouts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make install adds it)")
HOSTILE = "Look: </script><script>document.title='pwned'</script> ![x](http://example.invalid/x.png) <img src=x>"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEREASON_CACHE", str(tmp_path / "cache"))


# ----------------------------------------------------------- evidence, sampling

def test_accepted_evidence_is_the_classifier_code_spans(tmp_path):
    texts = [json.loads(line)["response"] for path in write_toy_rollouts(tmp_path) for line in path.open()]
    for text in texts:
        spans = code_evidence(text)
        assert [(s.start, s.end) for s in spans if s.language] == list(classify(text).code_spans)
        assert all((s.language is None) == (s.rejected is not None) for s in spans)


def test_evidence_kinds_on_written_cases():
    text = "```python\nimport math\nprint(math.pi)\n```\n```output\n3.14\n```\n```text\nwe argue in words\n```"
    kinds = [(s.style, s.tag, s.language, s.rejected) for s in code_evidence(text)]
    assert kinds == [("fenced", "python", "python", None), ("fenced", "output", None, "output block"),
                     ("fenced", "text", None, "not program source")]
    unfenced = "Program:\n\ndef f():\n    return 4\n\nprint(f())\n"
    assert [(s.style, s.language) for s in code_evidence(unfenced)] == [("unfenced", "python")]


@pytest.mark.parametrize("text, pred, expected", [
    ("so \\boxed{1} then \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}", ("\\boxed{\\frac{1}{2}}", True)),
    ("The answer is 42 at last", "42", ("42", False)),
    ("no answer at all", None, None),
    ("\\boxed{unclosed", None, None),
])
def test_answer_span_marks_the_graded_answer(text, pred, expected):
    span = answer_span(text, pred)
    assert ((text[span[0]:span[1]], span[2]) if span else None) == expected


def test_sample_keeps_the_budget_per_group_in_input_order():
    frame = pd.DataFrame({"step": [0] * 60 + [50] * 40, "benchmark": "b", "code": [True, False] * 50,
                          "n": range(100)})
    kept, counts = sample_responses(frame, 25, seed=1)
    assert len(kept) == 25 == counts["shown"].sum() and counts["total"].sum() == 100
    assert list(kept["n"]) == sorted(kept["n"]) and kept["n"].is_unique
    assert counts.set_index(["step", "code"])["shown"].to_dict() == {(0, False): 8, (0, True): 7, (50, False): 5, (50, True): 5}
    same, all_counts = sample_responses(frame, 100)
    assert len(same) == 100 and (all_counts["shown"] == all_counts["total"]).all()


@pytest.mark.parametrize("strategy", ["greedy", "majority"])
def test_problem_states_follow_the_metrics_rule(strategy):
    from codereason.metrics import problem_states as reference

    codes = [True, False, False, True, True, False, True, True, False, False, False, True]
    frame = pd.DataFrame({"benchmark": "b", "step": [0] * 6 + [50] * 6, "problem_id": ["p1", "p1", "p1", "p2", "p2", "p2"] * 2,
                          "sample_idx": [2, 0, 1] * 4, "code": codes, "correct": True})
    states = problem_states(frame, strategy)
    for step, part in frame.groupby("step"):
        assert {pid: states[("b", pid)][step] for pid in ("p1", "p2")} == \
            {pid: state.code for pid, state in reference(part, strategy).items()}


def test_embedded_json_cannot_close_its_script_element():
    text = embed_json({"t": HOSTILE})
    assert "</script" not in text.lower() and json.loads(text)["t"] == HOSTILE


def test_output_must_be_html(tmp_path):
    inputs = write_toy_rollouts(tmp_path / "toy")
    result = subprocess.run([sys.executable, "-m", "codereason", "view", *map(str, inputs), "-o", str(tmp_path / "v.png")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "name it with .html" in result.stderr


@pytest.mark.slow
def test_two_checkpoints_at_one_step_are_reported(tmp_path):
    a, b = write_toy_rollouts(tmp_path / "toy")
    rows = [json.loads(line) | {"step": 0} for line in b.open()]
    b.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = write_view([a, b], tmp_path / "v.html", n_boot=50)
    assert summary.merged_checkpoints == (("toy-algebra", 0), ("toy-arith", 0))
    assert "Several checkpoints share one step" in (tmp_path / "v.html").read_text()


@pytest.mark.slow
def test_tagged_input_gives_the_same_page_data(tmp_path):
    from typer.testing import CliRunner

    import codereason.cli  # noqa: F401  (registers the commands)
    from codereason.cli._app import app

    inputs = write_toy_rollouts(tmp_path / "toy")
    tagged = [tmp_path / f"tagged-{p.name}" for p in inputs]
    for source, target in zip(inputs, tagged):
        assert CliRunner().invoke(app, ["tag", str(source), "-o", str(target)]).exit_code == 0
    assert "code_spans" in json.loads(tagged[0].open().readline())
    plain = write_view(inputs, tmp_path / "plain.html", n_boot=20)
    labelled = write_view(tagged, tmp_path / "tagged.html", n_boot=20)
    assert (plain.n_responses, plain.evidence_mismatches) == (labelled.n_responses, labelled.evidence_mismatches) == (32, 0)
    data = [json.loads(_embedded(path)) for path in (plain.path, labelled.path)]
    for column in ("ast", "paper", "grade", "spans", "answer"):
        assert data[0]["responses"][column] == data[1]["responses"][column], column


def _embedded(path: Path) -> str:
    html = path.read_text()
    start = html.index('<script type="application/json" id="view-data">') + len('<script type="application/json" id="view-data">')
    return html[start:html.index("</script>", start)]


# --------------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make install adds it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Page:
    """The written page open in chromium, with every request it makes recorded."""

    def __init__(self, browser, path: Path, width: int = 1280):
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready]")

    def count(self, **filters) -> tuple[int, int]:
        """(responses, problems) the page shows after reset and these filters (ids without ``f-``)."""
        self.page.click("#f-reset")
        for name, value in filters.items():
            if name == "disagree":
                self.page.check("#f-disagree")
            elif name == "search":
                self.page.fill("#f-search", value)
                self.page.wait_for_timeout(400)  # the search box waits 120 ms for typing to stop
            elif name == "bench":
                self.page.select_option("#f-bench", label=value)
            else:
                self.page.select_option(f"#f-{name}", str(value))
        return int(self.page.inner_text("#count")), int(self.page.inner_text("#count-problems"))

    def close(self):
        self.page.close()


def _expected(frame: pd.DataFrame) -> tuple[int, int]:
    return len(frame), len(frame.drop_duplicates(["benchmark", "problem_id"]))


def _grades(frame: pd.DataFrame) -> pd.Series:
    return pd.Series([grade_status(c, s) for c, s in zip(frame["correct"], frame["grade_status"])], index=frame.index)


def _transition_members(frame: pd.DataFrame, start: int, end: int, group: str) -> pd.DataFrame:
    states = problem_states(frame)
    name = {True: "Code", False: "Lang"}
    members = {key for key, by_step in states.items() if start in by_step and end in by_step
               and f"{name[by_step[start]]}→{name[by_step[end]]}" == group}
    keys = list(zip(frame["benchmark"], frame["problem_id"]))
    return frame[pd.Series([k in members for k in keys], index=frame.index) & frame["step"].isin([start, end])]


def check_every_filter(page: Page, frame: pd.DataFrame, search: str) -> None:
    """Each filter alone and a few together: the page's counts equal pandas' on the same responses."""
    grades = _grades(frame)
    assert page.count() == _expected(frame)
    for benchmark in sorted(frame["benchmark"].unique()):
        assert page.count(bench=benchmark) == _expected(frame[frame["benchmark"] == benchmark])
    for step in sorted(frame["step"].unique()):
        assert page.count(step=step) == _expected(frame[frame["step"] == step])
    for value in (0, 1):
        assert page.count(ast=value) == _expected(frame[frame["code_ast"] == bool(value)])
        assert page.count(paper=value) == _expected(frame[frame["code_paper"] == bool(value)])
    assert page.count(disagree=True) == _expected(frame[frame["code_ast"] != frame["code_paper"]])
    for grade in sorted(set(grades)):
        assert page.count(grade=grade) == _expected(frame[grades == grade])
    assert page.count(search=search) == _expected(frame[frame["response"].str.contains(search, case=False, regex=False)])
    first, last = int(frame["step"].min()), int(frame["step"].max())
    moves = transition_table(frame, first, last, "auto").groupby("transition")["count"].sum()
    for group in ("Code→Code", "Code→Lang", "Lang→Code", "Lang→Lang"):
        members = _transition_members(frame, first, last, group)
        assert page.count(move=group) == _expected(members)
        assert _expected(members)[1] == moves[group]  # problems: as `track --transitions` counts them
    benchmark = sorted(frame["benchmark"].unique())[-1]
    combined = frame[(frame["benchmark"] == benchmark) & (frame["step"] == last) & frame["code_ast"] & (grades == "correct")]
    assert page.count(bench=benchmark, step=last, ast=1, grade="correct") == _expected(combined)


def check_problem_view(page: Page, frame: pd.DataFrame) -> None:
    """The problem view of the first listed response shows that problem's responses, one column per step."""
    page.count()
    page.page.click("#list .problem-button >> nth=0")
    first = frame.iloc[0]
    same = frame[(frame["benchmark"] == first["benchmark"]) & (frame["problem_id"] == first["problem_id"])]
    assert page.page.is_visible("#problem-view")
    assert page.page.locator("#pv-columns .pv-card").count() == len(same)
    steps = [int(s) for s in page.page.locator(".pv-column").evaluate_all("cs => cs.map(c => c.dataset.step)")]
    assert steps == sorted(same["step"].unique())
    page.page.keyboard.press("Escape")
    assert not page.page.is_visible("#problem-view")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy rollouts with one hostile response, their page and their response table."""
    folder = tmp_path_factory.mktemp("toy")
    cache = folder / "cache"
    step0, step100 = write_toy_rollouts(folder)
    rows = [json.loads(line) for line in step0.open()]
    rows[0]["response"] = HOSTILE + "\n" + rows[0]["response"]
    step0.write_text("".join(json.dumps(r) + "\n" for r in rows))
    options = TrackOptions(cache=cache)
    summary = write_view([step0, step100], folder / "view.html", options, n_boot=50)
    return summary, view_responses([step0, step100], options)


@needs_browser
def test_toy_page_counts_match_pandas(browser, toy):
    summary, frame = toy
    assert summary.n_responses == summary.n_shown == len(frame) == 32 and summary.evidence_mismatches == 0
    page = Page(browser, summary.path)
    check_every_filter(page, frame, search="python")
    check_problem_view(page, frame)
    assert page.errors == []
    page.close()


@needs_browser
def test_page_makes_no_request_and_shows_hostile_text_as_text(browser, toy):
    summary, _ = toy
    page = Page(browser, summary.path)
    page.count(search="pwned")
    assert page.page.title().startswith("codereason view")
    assert "</script><script>document.title='pwned'</script>" in page.page.inner_text("#list")
    page.page.click("#list .problem-button >> nth=0")
    # even script on the page cannot reach out: the Content-Security-Policy stops the fetch before it is sent
    assert page.page.evaluate("fetch('https://example.invalid/x').then(() => 'sent', () => 'refused')") == "refused"
    assert page.requests == [page.url], page.requests  # the document itself, nothing else
    page.close()


@needs_browser
def test_narrow_page_does_not_scroll_sideways(browser, toy):
    page = Page(browser, toy[0].path, width=390)
    overflow = page.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.close()


@needs_browser
def test_sampled_page_says_how_many_it_shows(browser, toy, tmp_path):
    inputs = sorted(toy[0].path.parent.glob("step*.jsonl"))
    options = TrackOptions(cache=toy[0].path.parent / "cache")  # graded already
    summary = write_view(inputs, tmp_path / "v.html", options, max_responses=10, n_boot=50)
    page = Page(browser, summary.path)
    assert summary.n_shown == 10 and page.count()[0] == 10
    assert "This page shows 10 of 32 responses" in page.page.inner_text("#sample-note")
    page.close()


# ------------------------------------------------------------------- real data

@pytest.mark.realdata
@pytest.mark.slow
@needs_browser
def test_spurious_page_counts_match_pandas(browser, spurious_results, tmp_path):
    """AIME-2024 and AIME-2025 at the base model and step 50: 960 real responses, 8 samples per problem."""
    inputs = [spurious_results / "base", spurious_results / "step50"]
    options = TrackOptions(benchmarks=["AIME-2024", "AIME-2025"], n_jobs=2, cache=tmp_path / "cache")
    summary = write_view(inputs, tmp_path / "view.html", options, n_boot=100)
    frame = view_responses(inputs, options)
    assert summary.n_responses == summary.n_shown == len(frame) == 960 and summary.evidence_mismatches == 0
    assert resolve_strategy(frame) == "majority"
    page = Page(browser, summary.path)
    check_every_filter(page, frame, search="sympy")
    check_problem_view(page, frame)
    assert page.errors == [] and page.requests == [page.url]
    page.close()
