"""One self-contained HTML page from the response table: data as JSON, the figure as a PNG, no request out.

The page is ``templates/view.html.j2`` (Jinja2) with ``view.css`` and
``view.js`` inlined. The data sits in a ``<script type="application/json">``
element, with every ``<`` written as ``\\u003c`` so no response text can close
the element. A Content-Security-Policy meta tag forbids every fetch, so a
response that holds HTML or a URL cannot make the browser load anything.

>>> embed_json({"text": "</script><b>"})
'{"text": "\\\\u003c/script>\\\\u003cb>"}'
"""

from __future__ import annotations

import base64
import json
import math
import tempfile
from importlib.resources import files
from pathlib import Path

import pandas as pd

from codereason.view.evidence import answer_span, code_evidence

TEMPLATES = files("codereason") / "templates"
STATUS_CORRECT, STATUS_INCORRECT = "correct", "incorrect"
TABLE_COLUMNS = (  # (column of the step table, heading, is a ratio with a CI)
    ("benchmark", "benchmark", False), ("step", "step", False), ("checkpoint", "checkpoint", False),
    ("n_problems", "problems", False), ("n_responses", "responses", False), ("accuracy", "accuracy", True),
    ("code_freq", "code", True), ("code_freq_paper", "code (paper)", True),
    ("acc_given_code", "acc | code", True), ("acc_given_lang", "acc | lang", True),
    ("no_boxed_share", "no \\boxed", True),
)


def embed_json(value) -> str:
    """JSON safe inside a ``<script>`` element (``<`` escaped; JSON allows it in strings only)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")


def grade_status(correct, status: str) -> str:
    """``correct`` or ``incorrect`` where the response has a verdict, else the grader's status
    (``no_answer``, ``parse_error``, ``timeout``).

    >>> grade_status(True, "ok"), grade_status(None, "no_answer")
    ('correct', 'no_answer')
    """
    if correct is None or (isinstance(correct, float) and math.isnan(correct)):
        return status
    return STATUS_CORRECT if bool(correct) else STATUS_INCORRECT


def response_payload(shown: pd.DataFrame, states: dict) -> dict:
    """The page's data: responses as columns (indices into shared lists), problems, steps."""
    benchmarks = sorted(shown["benchmark"].unique())
    checkpoints = sorted({str(c) for c in shown["checkpoint"]})
    problem_keys = list(dict.fromkeys(zip(shown["benchmark"], shown["problem_id"])))
    problem_index = {key: i for i, key in enumerate(problem_keys)}
    prompts = dict(zip(zip(shown["benchmark"], shown["problem_id"]), shown["prompt"]))
    columns = {name: [] for name in ("step", "ckpt", "bench", "prob", "sample", "grade", "pred", "gold",
                                     "code", "ast", "paper", "text", "spans", "answer")}
    bench_index = {b: i for i, b in enumerate(benchmarks)}
    ckpt_index = {c: i for i, c in enumerate(checkpoints)}
    mismatches = 0
    for row in shown.itertuples(index=False):
        spans = code_evidence(row.response)
        mismatches += any(s.language for s in spans) != bool(row.code_ast)
        for name, value in (
            ("step", int(row.step)), ("ckpt", ckpt_index[str(row.checkpoint)]), ("bench", bench_index[row.benchmark]),
            ("prob", problem_index[(row.benchmark, row.problem_id)]), ("sample", int(row.sample_idx)),
            ("grade", grade_status(row.correct, row.grade_status)), ("pred", _optional(row.pred)),
            ("gold", _optional(row.gold)), ("code", int(bool(row.code))), ("ast", int(bool(row.code_ast))),
            ("paper", int(bool(row.code_paper))), ("text", row.response), ("spans", [s.to_list() for s in spans]),
            ("answer", answer_span(row.response, _optional(row.pred))),
        ):
            columns[name].append(value)
    problems = [{"bench": bench_index[b], "id": pid, "prompt": prompts[(b, pid)],
                 "states": {str(step): int(code) for step, code in states.get((b, pid), {}).items()}}
                for b, pid in problem_keys]
    return {"benchmarks": benchmarks, "checkpoints": checkpoints, "responses": columns, "problems": problems,
            "steps": sorted(int(s) for s in shown["step"].unique()), "evidence_mismatches": mismatches}


def _optional(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def table_rows(table: pd.DataFrame) -> list[dict]:
    """The step table as display cells: ratios as percentages with their 95% interval."""
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for column, _, ratio in TABLE_COLUMNS:
            value = record.get(column)
            if not ratio:
                cells.append({"text": "" if value is None else str(value), "title": ""})
                continue
            low, high = record.get(f"{column}_lo"), record.get(f"{column}_hi")
            cells.append({"text": _percent(value), "title": f"95% interval {_percent(low)} – {_percent(high)}"
                          if low is not None else ""})
        rows.append({"benchmark": record["benchmark"], "step": int(record["step"]), "cells": cells})
    return rows


def _percent(value) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def figure_png(table: pd.DataFrame, transitions: pd.DataFrame | None, title: str | None) -> str:
    """The ``codereason plot`` figure as base64 PNG."""
    from codereason.plot import plot_tracking

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracking.png"
        plot_tracking(table, path, transitions, title)
        return base64.b64encode(path.read_bytes()).decode("ascii")


def render_page(payload: dict, meta: dict, table: pd.DataFrame, figure: str) -> str:
    """The whole HTML document."""
    from jinja2 import Environment, select_autoescape

    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = environment.from_string((TEMPLATES / "view.html.j2").read_text(encoding="utf-8"))
    return template.render(
        meta=meta, headings=[h for _, h, _ in TABLE_COLUMNS], rows=table_rows(table), figure=figure,
        css=(TEMPLATES / "view.css").read_text(encoding="utf-8"),
        script=(TEMPLATES / "view.js").read_text(encoding="utf-8"),
        data=embed_json({"meta": meta, **payload}),
    )


__all__ = ["embed_json", "figure_png", "grade_status", "render_page", "response_payload", "table_rows"]
