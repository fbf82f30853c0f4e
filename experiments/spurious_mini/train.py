"""One GRPO + LoRA run per reward on the embedded model, adapters every K steps, a card per run.

``python -m experiments.spurious_mini.train`` (``make mini-experiment``) trains every run
of the config; ``--runs ground_truth,random-seed0`` picks some, ``--max-steps`` and
``--adapter-every`` shorten them (the card records what was run). Each run writes:

- ``<runs-dir>/<run>/step-NNNN/``: the LoRA adapter after NNNN optimisation steps
  (``adapter_config.json`` + ``adapter_model.safetensors``; step 0 is the base model);
- ``<runs-dir>/<run>/card.json`` and ``card.md``: data, reward, hyper-parameters, seeds,
  steps, wall time, machine, and the per-step log: loss, clip ratios and seconds on every
  optimisation step; rewards and ``code_reasoning/*`` (:class:`CodeReasoningMetrics`) on the
  steps that start a generation batch (every ``steps_per_generation``-th, from step 1), since
  those are measured on the batch's completions.

Trainer checkpoints (optimizer state, for ``--resume``) go under ``--work-dir``, outside
the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from codereason.errors import CodeReasonError, ConfigError
from codereason.integrations import CodeReasoningMetrics, paper_reward
from codereason.prompts import get_preset, render
from experiments.spurious_mini.config import DEFAULT_CONFIG, ExperimentConfig, Run, load_config
from experiments.spurious_mini.problems import benchmark_texts, generate_problems

HERE = Path(__file__).resolve().parent
RUNS_DIR = HERE / "runs"
WORK_DIR = Path("out") / "spurious_mini"
# The log keys a card keeps per step (the rest of TRL's row is left in the trainer folder).
CARD_LOG_KEYS = ("step", "loss", "learning_rate", "grad_norm", "reward", "reward_std", "frac_reward_zero_std",
                 "clip_ratio/region_mean", "clip_ratio/low_mean", "clip_ratio/high_mean",
                 "completions/mean_length", "completions/clipped_ratio")


def training_problems(config: ExperimentConfig) -> list[dict]:
    """The config's generated training set, checked distinct from ``data.distinct_from``."""
    data = config.data
    exclude = benchmark_texts(data["distinct_from"]) if data["distinct_from"] else set()
    return generate_problems(data["size"], data["seed"], exclude)


def training_dataset(problems: list[dict], preset_name: str, tokenizer):
    """A ``datasets.Dataset`` with ``prompt`` (the preset rendered with the chat template), ``answer``, ``incorrect_answer``."""
    from datasets import Dataset

    preset = get_preset(preset_name)
    return Dataset.from_dict({
        "prompt": [render(preset, p["problem"], tokenizer) for p in problems],
        "answer": [p["answer"] for p in problems],
        "incorrect_answer": [p["incorrect_answer"] for p in problems],
        "problem_id": [p["id"] for p in problems],
    })


def grpo_settings(config: ExperimentConfig, output_dir: Path, use_vllm: bool) -> dict[str, Any]:
    """GRPOConfig keyword arguments: the config's ``grpo`` table plus logging, saving and CPU settings."""
    grpo = dict(config.grpo)
    every = grpo.pop("adapter_every")
    settings = {
        **grpo, "output_dir": str(output_dir), "logging_steps": 1, "log_completions": True,
        "save_strategy": "steps", "save_steps": every, "save_total_limit": 1,
        "report_to": "none", "disable_tqdm": True, "bf16": False, "use_cpu": not _has_cuda(),
        "data_seed": config.data["seed"],
    }
    if use_vllm:
        settings.update(use_vllm=True, vllm_mode="colocate", vllm_enable_sleep_mode=False)
    return settings


def lora_config(config: ExperimentConfig):
    """The peft ``LoraConfig`` of the config's ``lora`` table."""
    from peft import LoraConfig

    lora = config.lora
    return LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                      target_modules=list(lora["target_modules"]), task_type="CAUSAL_LM")


def make_callback(run_dir: Path, every: int, dtype_name: str):
    """A TrainerCallback that saves the adapter every ``every`` steps and times each step.

    Each step gets wall seconds and CPU seconds of this process (all its threads): on a
    shared machine the second says what the step costs, the first what it took.
    """
    import torch
    from transformers import TrainerCallback

    dtype = getattr(torch, dtype_name)

    class AdapterCheckpoints(TrainerCallback):
        def __init__(self):
            self.step_seconds: dict[int, tuple[float, float]] = {}
            self._started = (0.0, 0.0)

        def on_step_begin(self, args, state, control, **kwargs):
            self._started = (time.perf_counter(), time.process_time())

        def on_step_end(self, args, state, control, model=None, **kwargs):
            wall, cpu = time.perf_counter() - self._started[0], time.process_time() - self._started[1]
            self.step_seconds[state.global_step] = (round(wall, 2), round(cpu, 2))
            if state.global_step % every == 0 or state.global_step == state.max_steps:
                save_adapter(model, run_dir / f"step-{state.global_step:04d}", dtype)

    return AdapterCheckpoints()


def save_adapter(model, folder: Path, dtype) -> None:
    """Write the LoRA adapter of a peft model (``adapter_config.json``, weights in ``dtype``) into ``folder``."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().to(dtype).contiguous() for key, value in get_peft_model_state_dict(model).items()}
    save_file(state, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
    model.peft_config["default"].save_pretrained(str(folder))


def train_run(config: ExperimentConfig, run: Run, model_dir: Path, runs_dir: Path, work_dir: Path,
              *, use_vllm: bool = False, resume: bool = False) -> dict[str, Any]:
    """Train one run; returns its card (also written to ``<runs_dir>/<run>/card.json`` and ``card.md``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import GRPOConfig, GRPOTrainer

    set_seed(config.grpo["seed"])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32")
    problems = training_problems(config)
    dataset = training_dataset(problems, config.prompt["preset"], tokenizer)
    reward = paper_reward(run.reward, **run.params)
    run_dir, output_dir = runs_dir / run.name, work_dir / run.name
    callback = make_callback(run_dir, config.grpo["adapter_every"], config.lora["save_dtype"])
    trainer = GRPOTrainer(
        model=model, processing_class=tokenizer, train_dataset=dataset,
        reward_funcs=[reward, CodeReasoningMetrics(answer_column="answer")],
        args=GRPOConfig(**grpo_settings(config, output_dir, use_vllm)),
        peft_config=lora_config(config), callbacks=[callback],
    )
    started, cpu_started, load_before = time.time(), time.process_time(), os.getloadavg()
    trainer.train(resume_from_checkpoint=resume and _has_checkpoint(output_dir))
    wall, cpu = time.time() - started, time.process_time() - cpu_started
    card = run_card(config, run, reward, problems, model_dir, trainer.state.log_history, callback.step_seconds,
                    (wall, cpu), load_before, use_vllm)
    return write_card(run_dir, card)


def run_card(config: ExperimentConfig, run: Run, reward, problems: list[dict], model_dir: Path,
             history: list[dict], step_seconds: dict[int, tuple[float, float]], seconds: tuple[float, float],
             load_before, use_vllm: bool) -> dict:
    """What a reader needs to know about a run: data, reward, hyper-parameters, seeds, steps, time, machine."""
    steps = [row for row in history if "loss" in row]  # one row per optimisation step
    log = []
    for row in steps:
        entry = {k: row[k] for k in CARD_LOG_KEYS if k in row}
        entry.update({k: v for k, v in row.items() if k.startswith(("code_reasoning/", "rewards/"))})
        entry["step_seconds"], entry["step_cpu_seconds"] = step_seconds.get(row["step"], (None, None))
        log.append(entry)
    data_text = "\n".join(json.dumps(p, sort_keys=True) for p in problems)
    return {
        "run": run.name, "reward": repr(reward), "reward_name": run.reward, "reward_params": run.params,
        "base_model": model_dir.name, "base_model_name": "SmolLM2-135M-Instruct (codereason model prepare)",
        "step_0": "the base model (no adapter)",
        "data": {**config.data, "generator": "experiments/spurious_mini/problems.py", "problems": len(problems),
                 "sha256": hashlib.sha256(data_text.encode()).hexdigest()},
        "prompt": config.prompt, "lora": config.lora, "grpo": config.grpo, "config_file": Path(config.source).name,
        "generation": "vllm colocate" if use_vllm else "transformers",
        "steps_done": steps[-1]["step"] if steps else 0,
        "wall_seconds": round(seconds[0], 1), "cpu_seconds": round(seconds[1], 1), "machine": machine(load_before), "log": log,
    }


def machine(load_before) -> dict[str, Any]:
    """The machine a run ran on (CPU count, load, library versions)."""
    import peft
    import torch
    import transformers
    import trl

    return {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if _has_cuda() else None,
        "load_avg_start": [round(x, 2) for x in load_before], "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                     "peft": peft.__version__},
    }


def write_card(run_dir: Path, card: dict) -> dict:
    """Write ``card.json`` (everything) and ``card.md`` (the same, for a reader) in ``run_dir``; the card with its adapters."""
    run_dir.mkdir(parents=True, exist_ok=True)
    card = {**card, "adapters": sorted(p.name for p in run_dir.glob("step-*"))}
    (run_dir / "card.json").write_text(json.dumps(card, indent=1) + "\n")
    (run_dir / "card.md").write_text(card_markdown(card))
    return card


def card_markdown(card: dict) -> str:
    """The card as Markdown: a header of facts and the per-step table."""
    lines = [f"# Run `{card['run']}`: GRPO + LoRA on SmolLM2-135M-Instruct", ""]
    for key in ("reward", "base_model_name", "step_0", "generation", "steps_done", "wall_seconds", "cpu_seconds",
                "config_file"):
        lines.append(f"- **{key}**: {card[key]}")
    for key in ("data", "prompt", "lora", "grpo", "machine"):
        lines.append(f"- **{key}**: `{json.dumps(card[key])}`")
    lines.append(f"- **adapters**: {', '.join(card['adapters'])}")
    columns = ["step", "code_reasoning/frequency", "code_reasoning/accuracy", "reward", "loss",
               "clip_ratio/region_mean", "completions/mean_length", "step_seconds", "step_cpu_seconds"]
    lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in card["log"]:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _has_checkpoint(output_dir: Path) -> bool:
    return any(output_dir.glob("checkpoint-*"))


def main(argv: list[str] | None = None) -> int:
    """Train the config's runs (all, or ``--runs``); prints one line per run."""
    parser = argparse.ArgumentParser(prog="python -m experiments.spurious_mini.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--runs", default="", help="comma-separated run names (default: all)")
    parser.add_argument("--model", default=None, help="base model folder (default: the prepared SmolLM2)")
    parser.add_argument("--runs-dir", default=str(RUNS_DIR))
    parser.add_argument("--work-dir", default=str(WORK_DIR))
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--adapter-every", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a [grpo] value (TOML syntax), e.g. --set max_completion_length=256")
    parser.add_argument("--vllm", action="store_true", help="generate with TRL's vLLM colocate mode")
    parser.add_argument("--resume", action="store_true", help="resume each run from its last trainer checkpoint")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        overrides = {k: v for k, v in (("max_steps", args.max_steps), ("adapter_every", args.adapter_every)) if v}
        config = config.with_grpo(**overrides, **parse_overrides(args.set))
        runs = [config.run(name) for name in args.runs.split(",")] if args.runs else list(config.runs)
        model_dir = Path(args.model) if args.model else _default_model()
        for run in runs:
            card = train_run(config, run, model_dir, Path(args.runs_dir), Path(args.work_dir),
                             use_vllm=args.vllm, resume=args.resume)
            print(f"{run.name}: {card['steps_done']} steps in {card['wall_seconds']} s, adapters {card['adapters']}")
    except CodeReasonError as error:
        print(f"error: {error}")
        return 2
    return 0


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as a dict, each value read as TOML.

    >>> parse_overrides(["max_steps=8", "learning_rate=1e-4"])
    {'max_steps': 8, 'learning_rate': 0.0001}
    """
    import tomllib

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"] if sep else None
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"--set {item!r}: the value is not TOML (a number, true/false or a quoted string)") from None
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
    return out


def _default_model() -> Path:
    from codereason.models import default_model_dir, is_prepared

    if not is_prepared():
        raise ConfigError("the base model is not prepared; run: python -m codereason model prepare")
    return default_model_dir()


if __name__ == "__main__":
    raise SystemExit(main())
