"""``codereason train-classifier``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import print_table


@app.command("train-classifier")
def train_classifier(
    labels: List[Path] = typer.Argument(..., help="Label files (data/labels/*.jsonl): keys into the real data + 0/1 labels."),
    output: Path = typer.Option(..., "-o", "--output", help="Classifier folder to write, e.g. codereason/classifier/versions/learned-v2/."),
    realdata: Optional[Path] = typer.Option(None, "--realdata", help="Real-data root the keys point into (default: $CODEREASON_REALDATA)."),
    folds: int = typer.Option(5, "--folds", help="Stratified cross-validation folds."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold split and of gradient boosting."),
) -> None:
    """Train the learned classifier: pick logistic regression or gradient boosting by cross-validation,
    refit on all labels, write weights.json (no pickle), metrics.json and card.md."""
    from codereason.classifier.training import CANDIDATES, train, write_classifier
    from codereason.labels import attach_texts, load_labels, realdata_root

    rows = attach_texts(load_labels(labels), realdata_root(realdata))
    result = train(rows, folds=folds, seed=seed, label_files=[str(p) for p in labels])
    table = [{"model": name + (" *" if name == result.chosen else ""), **_flat(result.cv[name]["overall"])}
             for name in CANDIDATES]
    print_table(table, title=f"{folds}-fold cross-validated (out-of-fold) metrics on {len(rows)} labels (* = chosen)")
    out = write_classifier(result, output)
    typer.echo(f"wrote {out / 'weights.json'}, {out / 'metrics.json'}, {out / 'card.md'}")


def _flat(m: dict) -> dict:
    return {"n": m["n"], "precision": m["precision"], "recall": m["recall"], "f1": m["f1"], **m["confusion"]}
