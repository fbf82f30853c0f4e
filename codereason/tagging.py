"""Tag streams of rollout rows and summarise the result (what ``codereason tag`` runs).

Rows flow through in batches, so memory stays flat however large the input;
with ``n_jobs > 1`` worker processes label batches while this process reads and writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator

from codereason.classify import MODES, classify_batches
from codereason.errors import ConfigError, SchemaError


def tag_rows(rows: Iterable[dict], mode: str = "ast", n_jobs: int = 1, batch_size: int = 512) -> Iterator[dict]:
    """Yield each row with the :class:`~codereason.records.CodeLabel` fields added, in input order.

    Args:
        rows: dicts holding a ``response`` field (as :func:`codereason.io.read_rows` yields).
        mode: ``ast``, ``paper`` or ``learned``.
        n_jobs: worker processes (1 = this process, -1 = one per core); they label
            batches while this process reads and hands on rows
            (:func:`~codereason.classify.classify_batches`).
        batch_size: rows sent to a worker at a time.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("--mode", mode, MODES)
    rows = iter(rows)
    batches = iter(lambda: list(islice(rows, batch_size)), [])
    for batch, labels in classify_batches(batches, mode, n_jobs, text=itemgetter("response")):
        for row, label in zip(batch, labels):
            yield {**row, **label.to_dict()}


@dataclass
class TagSummary:
    """Counts for the summary table: overall and per (checkpoint, benchmark)."""

    groups: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))

    def add(self, row: dict[str, Any]) -> None:
        """Count one tagged row: n, code, paper code, agreement with paper."""
        for key in (("all", ""), (str(row.get("checkpoint")), str(row.get("benchmark")))):
            counts = self.groups[key]
            counts[0] += 1
            counts[1] += bool(row["code_reasoning"])
            counts[2] += bool(row["paper_code"])
            counts[3] += bool(row["code_reasoning"]) == bool(row["paper_code"])

    def table(self) -> list[dict[str, Any]]:
        """One dict per group: n, code frequency, paper frequency, agreement."""
        rows = []
        for (checkpoint, benchmark), (n, code, paper, agree) in sorted(self.groups.items(), key=_all_first):
            rows.append({"checkpoint": checkpoint, "benchmark": benchmark, "n": n, "code_freq": code / n,
                         "paper_freq": paper / n, "agreement": agree / n})
        return rows


def _all_first(item) -> tuple:
    key = item[0]
    return (key != ("all", ""), key)


class BadRecordLog:
    """Collects bad records into a side file (``--skip-bad``) and counts them."""

    def __init__(self, path: str | Path):
        self.path, self.count = Path(path), 0
        self._handle = None

    def __call__(self, source: str, line: int, raw: Any, error: SchemaError) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", encoding="utf-8")
        self.count += 1
        entry = {"source": source, "line": line, "error": error.message, "raw": raw if isinstance(raw, (str, dict)) else None}
        self._handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
