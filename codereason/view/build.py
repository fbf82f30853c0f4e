"""Build the page of ``codereason view`` (:func:`write_view`); the package docstring says what it holds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from codereason.errors import ConfigError
from codereason.metrics import DEFAULT_BOOTSTRAP, DEFAULT_SEED
from codereason.track import TrackOptions, step_table, transition_table
from codereason.view import DEFAULT_MAX_RESPONSES
from codereason.view.data import problem_states, sample_responses, view_responses
from codereason.view.page import figure_png, render_page, response_payload
from codereason.writers import check_output_path, replaced_on_success


@dataclass(frozen=True)
class ViewSummary:
    """What :func:`write_view` wrote.

    Attributes:
        path: the HTML file.
        n_responses: responses read (every one is in the table and the figure).
        n_shown: responses on the page (fewer than ``n_responses`` when sampled).
        n_problems: distinct (benchmark, problem) pairs on the page.
        evidence_mismatches: responses whose ``ast`` label (from the input's tag
            fields, when it had them) disagrees with the evidence re-computed for
            the page; 0 when the labels were made by this version.
        size_bytes: size of the file.
        merged_checkpoints: ``(benchmark, step)`` groups holding several checkpoints
            (their responses are pooled in one row of the table, as ``track`` does).
    """

    path: Path
    n_responses: int
    n_shown: int
    n_problems: int
    evidence_mismatches: int
    size_bytes: int
    merged_checkpoints: tuple[tuple[str, int], ...] = ()


def write_view(
    inputs: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    options: TrackOptions | None = None,
    max_responses: int = DEFAULT_MAX_RESPONSES,
    strategy: str = "auto",
    title: str | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
) -> ViewSummary:
    """Tag, grade and write the page.

    Args:
        inputs: rollout files or directories, one checkpoint each (as for ``track``).
        output: the ``.html`` file to write.
        options: how to read, tag and grade (see :class:`codereason.track.TrackOptions`).
        max_responses: most responses on the page; above it they are sampled.
        strategy: problem strategy for transitions: ``greedy``, ``majority`` or ``auto``.
        title: the figure title (default: built from the table).
        n_boot, seed: bootstrap settings of the table; ``seed`` also drives the sample.
        progress: called with the number of responses tagged and graded after each batch.
    """
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"-o {output}: the page is HTML; name it with .html, e.g. -o view.html")
    check_output_path(output)  # a folder, or one that cannot be written, is refused before any tagging
    options = options or TrackOptions()
    responses = view_responses(inputs, options, progress)
    if responses.empty:
        raise ConfigError("no responses to show (check the inputs and --benchmark)")
    table = step_table(responses, mode=options.mode, n_boot=n_boot, seed=seed)
    moves = transition_table(responses, strategy=strategy)
    shown, counts = sample_responses(responses, max_responses, seed)
    payload = response_payload(shown, problem_states(responses, strategy))
    merged = _merged_checkpoints(responses)
    meta = {**_meta(options, responses, shown, counts, max_responses, strategy),
            "merged": [f"{b} step {s}" for b, s in merged]}
    html = render_page(payload, meta, table, figure_png(table, moves if not moves.empty else None, title))
    output.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(output) as temp:  # a full disk leaves the old page, never half a page
        temp.write_text(html, encoding="utf-8")
    return ViewSummary(output, len(responses), len(shown), len(payload["problems"]),
                       payload["evidence_mismatches"], output.stat().st_size, merged)


def _merged_checkpoints(responses) -> tuple[tuple[str, int], ...]:
    """(benchmark, step) pairs whose responses come from more than one checkpoint."""
    names = responses.assign(checkpoint=responses["checkpoint"].astype(str)).groupby(["benchmark", "step"])["checkpoint"]
    counts = names.nunique()
    return tuple((b, int(s)) for (b, s), n in counts.items() if n > 1)


def _meta(options: TrackOptions, responses, shown, counts, max_responses: int, strategy: str) -> dict:
    sampled = counts[counts["shown"] < counts["total"]]
    return {
        "mode": options.mode, "n_total": len(responses), "n_shown": len(shown), "max_responses": max_responses,
        "strategy": strategy, "require_boxed": options.require_boxed, "use_stored_score": options.use_stored_score,
        "sample": [{"step": int(r.step), "benchmark": r.benchmark, "label": "code" if r.code else "lang",
                    "shown": int(r.shown), "total": int(r.total)} for r in sampled.itertuples(index=False)],
    }


__all__ = ["ViewSummary", "write_view"]
