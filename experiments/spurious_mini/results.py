"""The per-response results of ``make demo`` as a small table to ship: keys and labels, no texts.

    python -m experiments.spurious_mini.results out/demo/rollouts -o experiments/spurious_mini/results/demo_responses.csv

reads ``base.jsonl`` (step 0) and each run's folder that ``make demo`` generated
(``OUT/<run>/step-*.jsonl``), tags and grades every response with codereason
(``track.collect``) and writes one row per (run, step, problem, sample): the base's
rows once, with run ``base``. ``notebooks/spurious_rewards_in_miniature.ipynb``
reads this table; the rollout texts stay in ``out/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from codereason.track import TrackOptions, collect

COLUMNS = ["run", "step", "problem_id", "sample_idx", "code", "code_paper", "correct", "has_boxed", "grade_status"]


def response_table(rollouts: Path, n_jobs: int = 2) -> pd.DataFrame:
    """One row per response of ``rollouts/base.jsonl`` and ``rollouts/<run>/``, with its run's name."""
    parts = [("base", rollouts / "base.jsonl")]
    parts += [(folder.name, folder) for folder in sorted(p for p in rollouts.iterdir() if p.is_dir())]
    frames = []
    for run, path in parts:
        if not path.exists():
            raise SystemExit(f"{path}: missing; run `make demo` first")
        frames.append(collect([path], TrackOptions(n_jobs=n_jobs)).assign(run=run))
    table = pd.concat(frames, ignore_index=True)[COLUMNS]
    return table.sort_values(["run", "step", "problem_id", "sample_idx"], ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rollouts", type=Path, help="make demo's rollout folder (out/demo/rollouts)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    table = response_table(args.rollouts)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output, index=False)
    counts = table.groupby("run").size().to_dict()
    print(f"wrote {len(table)} responses to {args.output}: {counts}")


if __name__ == "__main__":
    main()
