"""Ray: a training run's checkpoints across a cluster, and tagging and grading of Ray Datasets.

Ray is an optional extra (``pip install "codereason[ray]"``), imported only inside
these functions, so ``import codereason`` never loads it. (The module is called
``cluster``, not ``ray``, so that ``import ray`` means Ray everywhere.)

- :func:`generate_checkpoints`: one Ray task per checkpoint, each asking for the
  resources of its engine (``tensor_parallel_size * data_parallel_size`` GPUs on a
  cluster with GPUs, else as many CPUs). A task runs the checkpoint in a fresh
  process exactly as :func:`codereason.sweep.sweep` does and appends to the same
  ``OUT_DIR/<checkpoint>.jsonl`` with the same resume, so a checkpoint whose node
  was lost is rerun (by Ray, or by running the command again) from where its file
  stops. ``OUT_DIR`` must be a folder every node sees (a shared file system).
- :func:`tag_dataset` and :func:`grade_dataset`: Ray Data ``map_batches`` stages
  over any ``ray.data.Dataset`` that add the columns ``codereason tag`` and
  ``codereason grade`` add (:data:`codereason.records.LABEL_FIELDS`, ``GRADE_FIELDS``).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from codereason.errors import CodeReasonError, ConfigError, SchemaError
from codereason.generate import EngineConfig, GenerateJob, JobSummary
from codereason.records import GRADE_FIELDS, LABEL_FIELDS, arrow_type

LOCAL = "local"
# Ray reruns a task whose worker or node died this many times (a task that raised is not rerun).
NODE_FAILURE_RETRIES = 3


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError('--ray needs Ray: pip install "codereason[ray]"') from None
    return ray


def connect(address: str | None = None, **init_options: Any) -> None:
    """Join a Ray cluster unless this process already has.

    Args:
        address: ``auto`` (the cluster this machine joined with ``ray start``), a
            ``HOST:PORT`` or ``ray://HOST:10001`` address, or ``local``/None: start
            a Ray instance on this machine (or join one already running here).
        init_options: passed to ``ray.init`` (``num_cpus=2``...).
    """
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=None if address in (None, LOCAL) else address, **init_options)


# -------------------------------------------------------------------- generate

def engine_resources(engine: EngineConfig, cluster_has_gpus: bool) -> dict[str, float]:
    """What one checkpoint's task asks Ray for: a GPU per engine rank, else a CPU per rank.

    >>> engine_resources(EngineConfig(tensor_parallel_size=2, data_parallel_size=2), True)
    {'num_gpus': 4, 'num_cpus': 1}
    >>> engine_resources(EngineConfig(), False)
    {'num_cpus': 1}
    """
    ranks = engine.tensor_parallel_size * engine.data_parallel_size
    return {"num_gpus": ranks, "num_cpus": 1} if cluster_has_gpus else {"num_cpus": ranks}


def _run_checkpoint(job_json: str) -> JobSummary:
    from codereason.sweep import run_checkpoint_process

    return run_checkpoint_process(GenerateJob.from_json(job_json))[0]  # a LoRA adapter too: its own engine here


def generate_checkpoints(
    job: GenerateJob, run_dirs: str | Sequence[str], include_base: str | None = None,
    report: Callable[[str], None] = print,
) -> tuple[list[JobSummary], dict[str, str]]:
    """Generate every checkpoint of ``run_dirs`` (one run or several, laid out as
    :func:`~codereason.sweep.checkpoint_jobs` says) as its own Ray task, all at once (Ray queues them).

    Call :func:`connect` first (else a local Ray instance is started). Each
    checkpoint is reported as it is queued, finishes or fails; a failed
    checkpoint does not stop the others.

    Returns:
        The summaries of the checkpoints that finished, and ``{name: reason}``
        for those that failed (names as :func:`job_names`), both in step order.

    Raises:
        GenerationError: a run directory holds no checkpoint.
    """
    from codereason.sweep import checkpoint_jobs

    ray = _ray()
    jobs = checkpoint_jobs(job, run_dirs, include_base)
    connect()
    resources = engine_resources(job.engine, ray.cluster_resources().get("GPU", 0) > 0)
    task = ray.remote(_run_checkpoint).options(max_retries=NODE_FAILURE_RETRIES, retry_exceptions=False, **resources)
    names = job_names(jobs)
    pending = {task.remote(sub.to_json()): name for sub, name in zip(jobs, names)}
    report(f"queued {len(jobs)} checkpoints on Ray, each with {resources}")
    done, failed = {}, {}
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        name = pending.pop(ref)
        try:
            done[name] = summary = ray.get(ref)
        except Exception as exc:  # a RayTaskError wrapping the task's error, or a lost worker/node
            failed[name] = _reason(exc)
            report(f"{name}: FAILED: {failed[name]}")
        else:
            report(f"{name}: done, {summary.generated} generated, {summary.existing} already there "
                   f"({len(done) + len(failed)}/{len(jobs)})")
    return [done[n] for n in names if n in done], {n: failed[n] for n in names if n in failed}


def job_names(jobs: Sequence[GenerateJob]) -> list[str]:
    """What each job is called in messages: its checkpoint, or ``run/checkpoint`` where several runs share
    checkpoint names."""
    if len({j.checkpoint for j in jobs}) == len(jobs):
        return [j.checkpoint for j in jobs]
    return [j.checkpoint if j.checkpoint == "base" else f"{j.model_label}/{j.checkpoint}" for j in jobs]


def _reason(exc: BaseException) -> str:
    """One line: the task's own error when Ray wrapped one, else Ray's."""
    cause = getattr(exc, "cause", None) or exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return f"{type(cause).__name__}: {lines[-1] if len(lines) > 1 and 'Traceback' in lines[0] else lines[0]}"


# ---------------------------------------------------------------- tag and grade

def _column(batch, field: str, where: str) -> list:
    """The values of ``field`` in an Arrow batch, refused with the columns it has when absent or null."""
    if field not in batch.column_names:
        raise SchemaError(where, None, f"no field {field!r} in the dataset (have: {', '.join(batch.column_names)}); "
                          "pass text_field= / --text-field")
    values = batch.column(field).to_pylist()
    if any(value is None for value in values):
        raise SchemaError(where, None, f"{values.count(None)} rows of a batch have no value in field {field!r}")
    if str(batch.schema.field(field).type) not in ("string", "large_string"):
        raise SchemaError(where, None, f"field {field!r} holds {batch.schema.field(field).type}, not text; "
                          "pass the field that holds the responses (text_field= / --text-field)")
    return values


def _with_columns(batch, columns: dict[str, Any]):
    """``batch`` with ``columns`` added; a column already there is replaced (as ``tag`` overwrites it)."""
    table = batch.drop_columns([name for name in columns if name in batch.column_names])
    for name, values in columns.items():
        table = table.append_column(name, values)
    return table


def _label_columns(labels) -> dict[str, Any]:
    import pyarrow as pa

    rows = [label.to_dict() for label in labels]
    return {name: pa.array([row[name] for row in rows], arrow_type(name)) for name in LABEL_FIELDS}


def _tag_batch(batch, *, text_field: str, mode: str):
    from codereason import classify_many

    labels = classify_many(_column(batch, text_field, "tag_dataset"), mode=mode)
    return _with_columns(batch, _label_columns(labels))


def tag_dataset(ds, text_field: str = "response", mode: str = "ast", batch_size: int = 512):
    """Add the label columns of ``codereason tag`` to every row of a Ray Dataset (lazily).

    Args:
        ds: a ``ray.data.Dataset`` (``ray.data.read_json``, ``read_parquet``...).
        text_field: the column holding the response.
        mode: ``ast``, ``paper`` or ``learned``.
        batch_size: rows per ``classify_many`` call.

    Returns:
        A Dataset with :data:`~codereason.records.LABEL_FIELDS` added (typed Arrow columns).
        A missing or null ``text_field`` fails the run with a :class:`SchemaError`.
    """
    from codereason.classifier import MODES

    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    return ds.map_batches(_tag_batch, batch_format="pyarrow", batch_size=batch_size, zero_copy_batch=True,
                          fn_kwargs={"text_field": text_field, "mode": mode})


class _BatchGrader:
    """One grading process per Ray actor (math-verify with a per-item timeout), reused across batches."""

    def __init__(self, text_field: str, gold_field: str, require_boxed: bool, use_stored_score: bool,
                 timeout_s: float):
        from codereason.grade import GraderPool

        self.pool = GraderPool(1, timeout_s).__enter__()
        self.fields, self.require_boxed = (text_field, gold_field), require_boxed
        self.use_stored_score, self.timeout_s = use_stored_score, timeout_s

    def __call__(self, batch):
        import pyarrow as pa

        from codereason.grade import grade_many, stored_correct

        text_field, gold_field = self.fields
        golds = batch.column(gold_field).to_pylist() if gold_field in batch.column_names else [None] * batch.num_rows
        grades = grade_many(zip(golds, _column(batch, text_field, "grade_dataset")), require_boxed=self.require_boxed,
                            timeout_s=self.timeout_s, pool=self.pool)
        columns = {name: [getattr(g, name) for g in grades] for name in GRADE_FIELDS}
        if self.use_stored_score and "stored_score" in batch.column_names:
            stored = [stored_correct(s) for s in batch.column("stored_score").to_pylist()]
            columns["mv_correct"] = columns["correct"]
            columns["correct"] = [s if s is not None else g for s, g in zip(stored, columns["correct"])]
        return _with_columns(batch, {k: pa.array(v, arrow_type("correct" if k == "mv_correct" else k))
                                     for k, v in columns.items()})


def grade_dataset(ds, text_field: str = "response", gold_field: str = "gold", *, require_boxed: bool = False,
                  use_stored_score: bool = False, timeout_s: float = 10.0, concurrency: int = 1,
                  batch_size: int = 256):
    """Add the grade columns of ``codereason grade`` to every row of a Ray Dataset (lazily).

    Args:
        ds: a ``ray.data.Dataset``.
        text_field: the column holding the response.
        gold_field: the column holding the reference answer (absent or null: ``parse_error``).
        require_boxed: a response without ``\\boxed{}`` is ``no_answer``.
        use_stored_score: ``correct`` is the row's ``stored_score`` (> 0.5) where it
            has one, math-verify's verdict goes to ``mv_correct`` (as ``grade --use-stored-score``).
        timeout_s: seconds allowed per response.
        concurrency: grading actors (each one process, one CPU).
        batch_size: rows per batch.

    Returns:
        A Dataset with :data:`~codereason.records.GRADE_FIELDS` added. The grade
        cache of ``codereason grade`` is local to one machine and not used here.
    """
    options = {"text_field": text_field, "gold_field": gold_field, "require_boxed": require_boxed,
               "use_stored_score": use_stored_score, "timeout_s": timeout_s}
    return ds.map_batches(_BatchGrader, fn_constructor_kwargs=options, batch_format="pyarrow",
                          batch_size=batch_size, concurrency=concurrency, zero_copy_batch=True)


# ------------------------------------------------------------------ files in, files out

def read_dataset(paths: list[str]):
    """A Ray Dataset over JSONL (``.jsonl``/``.json`` lines) or Parquet files, the formats Ray reads in parallel.

    Raises:
        ConfigError: another kind of file, or a mix.
    """
    ray = _ray()
    kinds = {"parquet" if str(p).endswith(".parquet") else "json" if str(p).endswith((".jsonl", ".json")) else p
             for p in paths}
    if kinds == {"parquet"}:
        return ray.data.read_parquet(paths)
    if kinds == {"json"}:
        return ray.data.read_json(paths, lines=True)
    raise ConfigError(f"--ray reads .jsonl or .parquet files (one kind at a time), got {sorted(map(str, kinds))[:3]}; "
                      "convert first with `codereason tag -o FILE.jsonl` or run without --ray")


def write_dataset(ds, output: str) -> None:
    """Write ``ds`` to the folder ``output`` (``.parquet`` in the name: Parquet files, else JSONL files)."""
    if str(output).rstrip("/").endswith(".parquet"):
        ds.write_parquet(str(output))
    else:
        ds.write_json(str(output))


def counts(ds, booleans: tuple[str, ...] = (), categories: dict[str, tuple[str, ...]] | None = None) -> dict[str, int]:
    """Rows, true values of each boolean column and rows per category value, in one pass.

    A category value outside the listed ones is counted under ``COLUMN=other``.
    """
    categories = categories or {}

    def per_batch(batch):
        import pyarrow as pa
        import pyarrow.compute as pc

        row = {"rows": [batch.num_rows]}
        for name in booleans:
            row[name] = [int(pc.sum(pc.fill_null(batch.column(name), False)).as_py() or 0)]
        for name, values in categories.items():
            column = batch.column(name).to_pylist()
            for value in values:
                row[f"{name}={value}"] = [column.count(value)]
            row[f"{name}=other"] = [sum(v not in values for v in column)]
        return pa.table(row)

    totals = ds.map_batches(per_batch, batch_format="pyarrow").to_pandas().sum()
    return {name: int(value) for name, value in totals.items()}


def tag_files(paths: list[str], output: str | None = None, text_field: str = "response",
              mode: str = "ast") -> dict[str, int]:
    """``codereason tag --ray``: label JSONL/Parquet files on the cluster, write a folder, count.

    Returns:
        ``rows``, ``code_reasoning`` and ``paper_code`` counts.
    """
    with _user_errors():
        labelled = tag_dataset(read_dataset(paths), text_field=text_field, mode=mode).materialize()
        if output:
            write_dataset(labelled, output)
        return counts(labelled, ("code_reasoning", "paper_code"))


def grade_files(paths: list[str], output: str | None = None, text_field: str = "response", gold_field: str = "gold",
                concurrency: int = 1, **options: Any) -> dict[str, int]:
    """``codereason grade --ray``: grade JSONL/Parquet files on the cluster, write a folder, count.

    Returns:
        ``rows``, ``correct`` and ``grade_status=<status>`` counts.
    """
    from codereason.records import GRADE_STATUSES

    with _user_errors():
        graded = grade_dataset(read_dataset(paths), text_field, gold_field, concurrency=concurrency, **options)
        graded = graded.materialize()
        if output:
            write_dataset(graded, output)
        return counts(graded, ("correct",), {"grade_status": GRADE_STATUSES})


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a Ray error that carries a :class:`CodeReasonError` back into that error (one line in the CLI)."""
    try:
        yield
    except CodeReasonError:
        raise
    except Exception as exc:
        found = unwrap(exc)
        if found is exc:
            raise
        raise found from None


def unwrap(exc: BaseException) -> BaseException:
    """The :class:`CodeReasonError` a Ray task raised, when there is one (else ``exc`` itself).

    Ray Data hands back a ``RayTaskError(UserCodeException)`` whose text, not its
    chain, holds the task's error: the last ``<CodeReasonError subclass>: message``
    line of that text is rebuilt into a :class:`CodeReasonError`.
    """
    seen = exc
    while seen is not None:
        if isinstance(seen, CodeReasonError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    names = "|".join(cls.__name__ for cls in (CodeReasonError, *_subclasses(CodeReasonError)))
    found = re.findall(rf"^(?:codereason\.errors\.)?({names}): (.+)$", str(exc), flags=re.MULTILINE)
    return CodeReasonError(found[-1][1]) if found else exc


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]
