"""``codereason tag`` and ``codereason eval-classifier``."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import (
    BenchmarkFieldOption,
    FormatOption,
    GoldFieldOption,
    IdFieldOption,
    ModeOption,
    StepFieldOption,
    TextFieldOption,
    check_jobs,
    check_mode,
    field_options,
    input_files,
    print_table,
    progress,
    row_writer,
)
from codereason.cli._ray import RAY_OPTION
from codereason.labels import BORDERLINE_CHOICES


@app.command()
def tag(
    inputs: List[Path] = typer.Argument(..., help="Rollout files or directories (JSONL, JSON, Parquet, CSV)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write every record with label fields added (.jsonl or .parquet)."),
    format: FormatOption = None,
    text_field: TextFieldOption = None, id_field: IdFieldOption = None, gold_field: GoldFieldOption = None,
    step_field: StepFieldOption = None, benchmark_field: BenchmarkFieldOption = None,
    mode: ModeOption = "ast",
    jobs: int = typer.Option(1, "-j", "--jobs", help="Worker processes (-1: one per core); each reads, labels and writes pieces of the input, and the output keeps input order."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Write bad records to OUT.bad.jsonl and go on, instead of stopping."),
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Label every response as code reasoning or natural language, with evidence spans.

    Prints code frequency overall and per checkpoint/benchmark, and the agreement
    between the chosen mode and the paper's rule.
    """
    from codereason.tagging import BadRecordLog, tag_files
    from codereason.writers import OUTPUT_SUFFIXES, check_output_path

    check_mode(mode)
    check_jobs(jobs)
    if ray:  # Ray reads the files itself and writes a folder of files: -o names that folder
        from codereason.cli._ray import refuse_reader_options, tag_on_ray
        from codereason.io import iter_input_files

        refuse_reader_options(format, id_field, gold_field, step_field, benchmark_field, jobs=jobs != 1, skip_bad=skip_bad)
        files = [f for path in inputs for f in iter_input_files(path)]
        return tag_on_ray(ray, files, output, text_field, mode)
    files = input_files(inputs, format, text_field)
    check_output_path(output, OUTPUT_SUFFIXES, files)
    bad_path = Path(f"{output or 'codereason-tag'}.bad.jsonl")
    if skip_bad:
        check_output_path(bad_path, None, files, "--skip-bad file")
    bad_log = BadRecordLog(bad_path) if skip_bad else None
    with bad_log or nullcontext(), row_writer(output) as writer, progress(desc="tag", unit="resp") as bar:
        summary = tag_files(files, writer, mode=mode, n_jobs=jobs, format=format, on_bad=bad_log,
                            on_progress=bar.update,
                            **field_options(text_field, id_field, gold_field, step_field, benchmark_field))
    print_table(summary.table(), title=f"code reasoning ({mode} mode) vs the paper rule")
    if bad_log is not None:
        typer.echo(bad_log.describe())
    if output:
        typer.echo(f"wrote {writer.count} records to {output}")


@app.command("eval-classifier")
def eval_classifier(
    labels: List[Path] = typer.Argument(..., help="Label files (data/labels/*.jsonl): keys into the real data + 0/1 labels."),
    realdata: Optional[Path] = typer.Option(None, "--realdata", help="Real-data root the keys point into (default: $CODEREASON_REALDATA)."),
    modes: List[str] = typer.Option(["ast", "paper"], "--mode", help="Modes to score (repeat the option)."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List every misclassified key."),
    by_source: bool = typer.Option(False, "--by-source", help="Score each real-data folder apart (95% Wilson intervals), then pooled."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scores to this JSON file."),
    borderline: str = typer.Option(BORDERLINE_CHOICES[0], "--borderline",
                                   help="Labels whose note starts with 'borderline:': " + ", ".join(BORDERLINE_CHOICES)
                                   + " (exclude: score only the labels the labeller was sure of)."),
) -> None:
    """Precision, recall, F1 and confusion matrix of each classifier mode on hand labels."""
    from codereason.classifier import classify
    from codereason.errors import ConfigError, InputFormatError
    from codereason.labels import (
        attach_texts,
        describe_key,
        evaluate,
        evaluate_by_source,
        load_labels,
        realdata_root,
        select_by_borderline,
    )
    from codereason.writers import check_output_path, replaced_on_success

    for mode in modes:
        check_mode(mode)
    if borderline not in BORDERLINE_CHOICES:
        raise ConfigError.bad_choice("--borderline", borderline, BORDERLINE_CHOICES)
    for path in labels:
        if not path.is_file():
            raise InputFormatError(f"{path}: no such label file")
    check_output_path(json_out, None, labels, "--json")
    root = realdata_root(realdata)
    labelled = attach_texts(load_labels(labels), root)
    rows = select_by_borderline(labelled, borderline)
    if len(rows) != len(labelled):
        typer.echo(f"--borderline {borderline}: scoring {len(rows)} of {len(labelled)} labels "
                   f"({len(labelled) - len(rows)} left out)", err=True)
    truth = [bool(r["label"]) for r in rows]
    table, detailed = [], {}
    for mode in modes:
        predicted = [classify(r["response"], mode).code_reasoning for r in rows]
        if by_source:
            detailed[mode] = evaluate_by_source(rows, predicted)
            table.extend(_interval_row(mode, score) for score in detailed[mode])
        else:
            scores = evaluate(truth, predicted)
            table.append({"mode": mode, "n": scores["n"], "precision": scores["precision"], "recall": scores["recall"],
                          "f1": scores["f1"], **scores["confusion"]})
        if show_errors:
            for r, p in zip(rows, predicted):
                if p != bool(r["label"]):
                    typer.echo(f"[{mode}] {describe_key(r)}: "
                               f"label {int(r['label'])}, predicted {int(p)} ({r.get('category', '')}: {r.get('note', '')})")
    print_table(table, title=f"classifier vs {len(rows)} hand labels")
    if json_out:
        scores = {"labels": [str(p) for p in labels], "n": len(rows), "scores": detailed or table}
        if borderline != BORDERLINE_CHOICES[0]:
            scores.update(borderline=borderline, n_labels=len(labelled))
        with replaced_on_success(json_out) as temp:
            temp.write_text(json.dumps(scores, indent=1) + "\n", encoding="utf-8")


def _interval_row(mode: str, score: dict) -> dict:
    def span(low_high) -> str:
        return f"{low_high[0]:.3f}-{low_high[1]:.3f}"
    return {"mode": mode, "source": score["source"], "n": score["n"], "pos": score["positives"],
            "precision": score["precision"], "P 95%": span(score["precision_95"]),
            "recall": score["recall"], "R 95%": span(score["recall_95"]), "f1": score["f1"],
            "fp": score["fp"], "fn": score["fn"]}
