"""The generator against the real vLLM engine on CPU.

Fast tests share one engine on a tiny random Qwen2 model built in the session;
one end-to-end test runs the embedded SmolLM2 through the CLI; the resume test
SIGKILLs a real run mid-way and restarts it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codereason import resume
from codereason.errors import ConfigError, GenerationError
from codereason.generate import EngineConfig, GenerateJob, SamplingConfig, check_job, request_seed, run_job
from codereason.io import read_rollouts
from codereason.prompts import prompt_sha256
from codereason.records import ROLLOUT_FIELDS
from codereason.resume import output_path, read_done, repair_tail
from codereason.sweep import checkpoint_jobs, engine_groups, find_checkpoints, sweep
from tests.vllm_fixtures import tiny_engine, tiny_model_dir  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parent.parent
TINY_ENGINE = EngineConfig(dtype="float32", max_model_len=512, enforce_eager=True)
PROVENANCE_KEYS = {
    "model_path", "step", "preset", "preset_version", "prompt_sha256", "sampling", "seed", "vllm", "torch",
    "transformers", "device", "dtype", "finish_reason", "prompt_tokens", "completion_tokens",
}


def tiny_job(model_dir, out_dir, **changes) -> GenerateJob:
    """A small job on the tiny model; ``changes`` override fields."""
    sampling = SamplingConfig(n=2, temperature=1.0, max_tokens=16, seed=0)
    job = GenerateJob(model=str(model_dir), out_dir=str(out_dir), preset="qwen-math", limit=4,
                      sampling=sampling, engine=TINY_ENGINE, flush_every=3)
    return dataclasses.replace(job, **changes)


def lines(path: Path) -> list[dict]:
    # JSONL lines end at "\n" only: str.splitlines() would also split inside a record at
    # U+2028 or U+0085, which json.dumps(ensure_ascii=False) leaves raw (random models emit them).
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


# ------------------------------------------------------------ without an engine

def test_find_checkpoints_in_step_order(tmp_path):
    for name in ("global_step_10", "global_step_2", "checkpoint-5", "step7/actor/huggingface", "logs", "global_step_3"):
        (tmp_path / name).mkdir(parents=True)
        if name not in ("logs", "global_step_3"):  # no config.json: not a model
            (tmp_path / name / "config.json").write_text("{}")
    found = find_checkpoints(tmp_path)
    assert [(name, step) for name, step, _ in found] == [
        ("global_step_2", 2), ("checkpoint-5", 5), ("step7", 7), ("global_step_10", 10)]
    assert found[2][2] == tmp_path / "step7" / "actor" / "huggingface"


def test_find_checkpoints_in_an_empty_run_says_what_to_do(tmp_path):
    with pytest.raises(GenerationError, match="no checkpoint directory.*pass --model"):
        find_checkpoints(tmp_path)


# (file bytes, bytes kept, note)
TAIL_CASES = [
    (b'{"a": 1}\n{"a": 2}\n', 18, "whole file: untouched"),
    (b'{"a": 1}\n{"a": 2', 9, "torn last line without newline: cut"),
    (b'{"a": 1}\n{"a"\n', 9, "last line ends in newline but is not JSON: cut"),
    (b'{"a', 0, "the only line torn: file emptied"),
    (b"", 0, "empty file"),
    (b'{"a": 1}\n{"a": "' + b"x" * 3000 + b'"}\n{"b": "' + b"y" * 2500, 3019, "a long torn line after a long whole one"),
]


@pytest.mark.parametrize("block", [1 << 20, 7], ids=["one-block", "7-byte-blocks"])
@pytest.mark.parametrize("data, kept, note", TAIL_CASES)
def test_repair_tail(tmp_path, monkeypatch, data, kept, note, block):
    monkeypatch.setattr(resume, "TAIL_BLOCK", block)  # small blocks: the backwards search crosses many
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert repair_tail(path) == len(data) - kept, note
    assert path.read_bytes() == data[:kept], note


def test_request_seed_depends_on_the_key_only():
    seeds = {request_seed(0, pid, i) for pid in ("a", "b") for i in range(3)}
    assert len(seeds) == 6 and request_seed(1, "a", 0) != request_seed(0, "a", 0)


def test_job_round_trips_through_json(tmp_path):
    job = tiny_job("m", tmp_path, step=5, checkpoint="global_step_5")
    assert GenerateJob.from_json(job.to_json()) == job


def test_heavy_modules_are_not_imported_with_the_generator():
    code = ("import sys, codereason.generate, codereason.sweep, codereason.prompts, codereason.models, codereason.benchmarks, "
            "codereason.cli; print(sorted(m for m in ('vllm', 'torch', 'transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


# -------------------------------------------------------------- tiny model, shared engine

@pytest.mark.vllm
def test_records_carry_keys_gold_and_provenance(tiny_model_dir, tiny_engine, tmp_path):
    summary = run_job(tiny_job(tiny_model_dir, tmp_path, step=3), llm=tiny_engine, progress=False)
    rows = lines(summary.path)
    assert summary.path == output_path(tmp_path, "model") and summary.generated == len(rows) == 8
    assert sorted((r["problem_id"], r["sample_idx"]) for r in rows) == [
        (pid, i) for pid in ("arith-001", "arith-002", "arith-003", "arith-004") for i in (0, 1)]
    for row in rows:
        assert tuple(row) == ROLLOUT_FIELDS
        assert (row["checkpoint"], row["step"], row["benchmark"]) == ("model", 3, "codereason-100")
        prov = row["provenance"]
        assert PROVENANCE_KEYS <= set(prov)
        assert prov["prompt_sha256"] == prompt_sha256(row["prompt"])
        assert prov["finish_reason"] in ("stop", "length") and 0 < prov["completion_tokens"] <= 16
        assert (prov["dtype"], prov["seed_scope"], prov["sampling"]["temperature"]) == ("float32", "engine", 1.0)
    assert {r["gold"] for r in rows} == {"12", "21", "42", "84"}
    assert [r.problem_id for r in read_rollouts(summary.path)] == [r["problem_id"] for r in rows]


@pytest.mark.vllm
def test_rerun_resumes_and_never_duplicates(tiny_model_dir, tiny_engine, tmp_path):
    first = run_job(tiny_job(tiny_model_dir, tmp_path, limit=2), llm=tiny_engine, progress=False)
    before = first.path.read_bytes()
    again = run_job(tiny_job(tiny_model_dir, tmp_path, limit=2), llm=tiny_engine, progress=False)
    assert (again.existing, again.generated) == (4, 0) and first.path.read_bytes() == before
    more = run_job(tiny_job(tiny_model_dir, tmp_path, limit=3), llm=tiny_engine, progress=False)
    assert (more.existing, more.generated) == (4, 2), "a larger --limit adds problems"
    assert more.path.read_bytes().startswith(before)
    wider = run_job(tiny_job(tiny_model_dir, tmp_path, limit=3, sampling=SamplingConfig(
        n=3, temperature=1.0, max_tokens=16, seed=0)), llm=tiny_engine, progress=False)
    assert (wider.existing, wider.generated) == (6, 3), "a larger -n adds samples"
    keys, _ = read_done(wider.path)
    assert len(keys) == len(lines(wider.path)) == 9


@pytest.mark.vllm
def test_torn_last_line_is_cut_and_its_sample_redone(tiny_model_dir, tiny_engine, tmp_path):
    job = tiny_job(tiny_model_dir, tmp_path, limit=2)
    path = run_job(job, llm=tiny_engine, progress=False).path
    whole = path.read_bytes()
    kept = whole[: whole.rfind(b"\n", 0, len(whole) - 1) + 1]
    path.write_bytes(whole[: len(kept) + 25])  # a crash in the middle of the last line
    summary = run_job(job, llm=tiny_engine, progress=False)
    assert (summary.existing, summary.generated) == (3, 1)
    assert path.read_bytes().startswith(kept) and len(lines(path)) == 4


@pytest.mark.vllm
def test_other_settings_in_the_same_file_are_refused_then_overwritten(tiny_model_dir, tiny_engine, tmp_path):
    run_job(tiny_job(tiny_model_dir, tmp_path, limit=1), llm=tiny_engine, progress=False)
    with pytest.raises(GenerationError, match="other settings.*--overwrite"):
        run_job(tiny_job(tiny_model_dir, tmp_path, limit=1, preset="plain"), llm=tiny_engine, progress=False)
    summary = run_job(tiny_job(tiny_model_dir, tmp_path, limit=1, preset="plain", overwrite=True),
                      llm=tiny_engine, progress=False)
    assert summary.generated == 2 and {r["provenance"]["preset"] for r in lines(summary.path)} == {"plain"}


@pytest.mark.vllm
def test_r1_think_records_its_stop_string(tiny_model_dir, tiny_engine, tmp_path):
    summary = run_job(tiny_job(tiny_model_dir, tmp_path, limit=1, preset="r1-think"), llm=tiny_engine,
                      progress=False)
    for row in lines(summary.path):
        assert row["prompt"].endswith("Assistant: <think>")
        assert row["provenance"]["sampling"]["stop"] == ["</answer>"]


@pytest.mark.vllm
def test_python_preset_prompt_ends_with_the_prefill(tiny_model_dir, tiny_engine, tmp_path):
    summary = run_job(tiny_job(tiny_model_dir, tmp_path, limit=1, preset="python"), llm=tiny_engine,
                      progress=False)
    for row in lines(summary.path):
        assert row["prompt"].endswith("<|im_start|>assistant\nLet's solve this using Python.")
        assert row["provenance"]["response_prefix"] == "Let's solve this using Python."


@pytest.mark.vllm
def test_same_seed_same_samples_greedy(tiny_model_dir, tiny_engine, tmp_path):
    """Greedy decoding is deterministic: two runs give the same responses."""
    greedy = SamplingConfig(n=1, temperature=0.0, max_tokens=12)
    a = run_job(tiny_job(tiny_model_dir, tmp_path / "a", sampling=greedy), llm=tiny_engine, progress=False)
    b = run_job(tiny_job(tiny_model_dir, tmp_path / "b", sampling=greedy), llm=tiny_engine, progress=False)
    responses = lambda path: {r["problem_id"]: r["response"] for r in lines(path)}  # noqa: E731
    assert responses(a.path) == responses(b.path)


@pytest.mark.vllm
def test_batch_invariant_is_refused_on_cpu(tiny_model_dir):
    pytest.importorskip("vllm")
    from vllm.platforms import current_platform

    from codereason.generate import start_engine

    if not current_platform.is_cpu():
        pytest.skip("GPU: batch invariance is supported there")
    with pytest.raises(ConfigError, match="--batch-invariant is not supported by vLLM on CPU"):
        start_engine(tiny_model_dir, dataclasses.replace(TINY_ENGINE, batch_invariant=True), 0)


# ------------------------------------------------------------ subprocesses

@pytest.mark.vllm
@pytest.mark.slow
def test_sweep_runs_each_checkpoint_in_step_order(tiny_model_dir, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "global_step_5").symlink_to(tiny_model_dir, target_is_directory=True)
    job = tiny_job(tiny_model_dir, tmp_path / "out", limit=2, sampling=SamplingConfig(n=1, max_tokens=8))
    summaries = sweep(job, run_dir, include_base=str(tiny_model_dir))
    assert [(s.checkpoint, s.generated) for s in summaries] == [("base", 2), ("global_step_5", 2)]
    for name, step in (("base", 0), ("global_step_5", 5)):
        rows = lines(tmp_path / "out" / f"{name}.jsonl")
        assert {(r["checkpoint"], r["step"], r["model"]) for r in rows} == {(name, step, "run")}


def write_strong_adapter(model_dir: Path, folder: Path, seed: int) -> Path:
    """A peft LoRA adapter (rank 8, q/v) on the tiny model, with random weights large enough to change its
    greedy text (a trained adapter after a few steps barely does)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    adapted = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                                               init_lora_weights=False))
    with torch.no_grad():
        for name, parameter in adapted.named_parameters():
            if "lora_B" in name:
                parameter.mul_(20.0)
    adapted.save_pretrained(folder)
    return folder


def peft_greedy_text(model_dir: Path, adapter: Path | None, prompt_ids: list[int], n_tokens: int) -> str:
    """What transformers + peft generate greedily from ``prompt_ids`` with ``adapter`` (None: none) on the tiny
    model."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if adapter is not None:
        model = PeftModel.from_pretrained(model, adapter)
    ids = model.generate(torch.tensor([prompt_ids]), max_new_tokens=n_tokens, do_sample=False)[0, len(prompt_ids):]
    return AutoTokenizer.from_pretrained(model_dir).decode(ids, skip_special_tokens=True)


@pytest.mark.vllm
@pytest.mark.slow
def test_runs_of_lora_adapters_are_served_on_one_engine_with_their_base(tiny_model_dir, tmp_path):
    """Adapter folders (peft's adapter_config.json) are checkpoints: served on the base with vLLM's LoRA
    support (with codereason's grouped CPU kernels), the base once as step 0, two runs' adapters all in one
    process (one engine), each run in its own folder; each adapter's greedy text is what transformers + peft
    generate with it, and differs from the base's."""
    from transformers import AutoTokenizer

    runs = {"run-a": ((2, 1), (4, 2)), "run-b": ((2, 3),)}
    for run, steps in runs.items():
        for step, seed in steps:
            write_strong_adapter(tiny_model_dir, tmp_path / run / f"step-{step:04d}", seed)
    job = tiny_job(tiny_model_dir, tmp_path / "out", limit=3, preset="plain",
                   sampling=SamplingConfig(n=1, temperature=0.0, max_tokens=6))
    run_dirs = [tmp_path / run for run in runs]
    groups = engine_groups(checkpoint_jobs(job, run_dirs, str(tiny_model_dir)))
    assert [[(j.model_label, j.checkpoint) for j in g] for g in groups] == [  # one group: one engine
        [("base", "base"), ("run-a", "step-0002"), ("run-a", "step-0004"), ("run-b", "step-0002")]]
    summaries = sweep(job, run_dirs, include_base=str(tiny_model_dir))
    out = tmp_path / "out"
    files = [out / "base.jsonl", out / "run-a" / "step-0002.jsonl", out / "run-a" / "step-0004.jsonl",
             out / "run-b" / "step-0002.jsonl"]
    assert [(s.path, s.generated) for s in summaries] == [(f, 3) for f in files]
    base_rows = lines(files[0])
    assert {(r["checkpoint"], r["step"]) for r in base_rows} == {("base", 0)}
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    for row in base_rows:  # batched with the adapters' samples, the base's get no adapter term
        prompt_ids = tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
        assert row["response"].rstrip("\ufffd") == peft_greedy_text(tiny_model_dir, None, prompt_ids, 6).rstrip("\ufffd")
    for path in files[1:]:
        run, name = path.parent.name, path.stem
        rows = lines(path)
        assert {(r["checkpoint"], r["step"], r["model"]) for r in rows} == {(name, int(name[-4:]), run)}
        assert {r["provenance"]["lora_path"] for r in rows} == {str((tmp_path / run / name).resolve())}
        assert {r["provenance"]["model_path"] for r in rows} == {str(tiny_model_dir)}
        for row in rows:
            prompt_ids = tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
            expected = peft_greedy_text(tiny_model_dir, tmp_path / run / name, prompt_ids, 6)
            # vLLM holds back the bytes of a character its last tokens have not finished; transformers shows U+FFFD
            assert row["response"].rstrip("\ufffd") == expected.rstrip("\ufffd")
        assert any(r["response"].rstrip("\ufffd") for r in rows)  # text to compare, not only held-back bytes
        assert [r["response"] for r in rows] != [r["response"] for r in base_rows]
    assert "lora_path" not in base_rows[0]["provenance"]


def test_two_runs_of_one_name_are_refused_before_any_engine(tmp_path):
    for parent in ("a", "b"):
        (tmp_path / parent / "run" / "step-0002").mkdir(parents=True)
        (tmp_path / parent / "run" / "step-0002" / "config.json").write_text("{}")
    job = GenerateJob(model=None, out_dir=str(tmp_path / "out"))
    with pytest.raises(ConfigError, match="have the same name 'run'"):
        checkpoint_jobs(job, [tmp_path / "a" / "run", tmp_path / "b" / "run"])


def test_lora_jobs_of_two_bases_run_on_two_engines():
    jobs = [GenerateJob(model=base, out_dir="o", checkpoint=f"step-{i}", lora=f"/a/{i}")
            for i, base in enumerate(["m1", "m2", "m1"])]
    assert [[j.checkpoint for j in g] for g in engine_groups(jobs)] == [["step-0", "step-2"], ["step-1"]]


def test_a_folder_that_is_not_a_lora_adapter_is_refused_before_any_engine(tmp_path):
    (tmp_path / "adapter").mkdir()
    job = GenerateJob(model=None, out_dir=str(tmp_path / "out"), lora=str(tmp_path / "adapter"))
    with pytest.raises(GenerationError, match="is not a LoRA adapter folder"):
        check_job(job)


def cli_command(model_dir: Path, out_dir: Path) -> list[str]:
    return [sys.executable, "-m", "codereason", "generate", "--model", str(model_dir), "-o", str(out_dir),
            "--preset", "plain", "-n", "16", "--limit", "60", "--max-tokens", "128", "--temperature", "1.0",
            "--dtype", "float32", "--max-model-len", "512", "--enforce-eager"]


@pytest.mark.vllm
@pytest.mark.slow
def test_sigkill_mid_run_then_resume(tiny_model_dir, tmp_path):
    out = tmp_path / "out"
    path = out / "model.jsonl"
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    proc = subprocess.Popen(cli_command(tiny_model_dir, out), cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_lines(path, proc, at_least=40)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its engine processes
        proc.wait()
    data = path.read_bytes()
    finished = data[: data.rfind(b"\n") + 1]
    assert 40 <= finished.count(b"\n") < 960, "the kill must land mid-run"
    subprocess.run(cli_command(tiny_model_dir, out), cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = path.read_bytes()
    assert after.startswith(finished), "records finished before the kill are byte-identical"
    rows = lines(path)
    keys = {(r["problem_id"], r["sample_idx"]) for r in rows}
    assert len(rows) == len(keys) == 60 * 16


def _wait_for_lines(path: Path, proc: subprocess.Popen, at_least: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= at_least:
            return
        if proc.poll() is not None:
            pytest.fail(f"the generator exited early with code {proc.returncode}")
        time.sleep(0.05)
    pytest.fail(f"no {at_least} records after {timeout} s")


# ------------------------------------------------------------ embedded model, CLI

@pytest.mark.vllm
@pytest.mark.slow
def test_cli_end_to_end_with_the_embedded_model(tmp_path):
    pytest.importorskip("vllm")
    from typer.testing import CliRunner

    import codereason.cli  # noqa: F401  (registers commands)
    from codereason.cli._app import app

    runner = CliRunner()
    prepared = runner.invoke(app, ["model", "prepare"])
    assert prepared.exit_code == 0, prepared.output
    result = runner.invoke(app, ["generate", "-o", str(tmp_path), "--limit", "3", "--preset", "python",
                                 "--max-tokens", "96", "--max-model-len", "1024", "--enforce-eager"])
    assert result.exit_code == 0, result.output
    assert "smollm2-135m-instruct: 3 generated, 0 already there" in result.output
    rows = lines(tmp_path / "smollm2-135m-instruct.jsonl")
    assert [r["problem_id"] for r in sorted(rows, key=lambda r: r["problem_id"])] == [
        "arith-001", "arith-002", "arith-003"]
    assert all(r["provenance"]["dtype"] == "bfloat16" and r["model"] == "smollm2-135m-instruct" for r in rows)
    assert sum(r["provenance"]["completion_tokens"] for r in rows) > 0
    again = runner.invoke(app, ["generate", "-o", str(tmp_path), "--limit", "3", "--preset", "python",
                                "--max-tokens", "96"])
    assert "0 generated, 3 already there" in again.output


def test_cli_include_base_needs_checkpoints(tmp_path):
    from typer.testing import CliRunner

    import codereason.cli  # noqa: F401
    from codereason.cli._app import app

    result = CliRunner().invoke(app, ["generate", "-o", str(tmp_path), "--include-base", "x"])
    assert isinstance(result.exception, ConfigError)


@pytest.mark.vllm
@pytest.mark.slow
def test_sigterm_of_a_sweep_stops_its_engine_processes_too(tiny_model_dir, tmp_path):
    """The sweep's generation process and its vLLM engine processes are stopped with it, not left running
    orphaned (they were: SIGTERM killed the CLI, its child kept generating); the samples written stay."""
    import psutil

    write_strong_adapter(tiny_model_dir, tmp_path / "run" / "step-0002", 1)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "codereason", "generate", "--checkpoints", str(tmp_path / "run"),
               "--include-base", str(tiny_model_dir), "-o", str(out), "--preset", "plain", "-n", "64",
               "--limit", "60", "--max-tokens", "256", "--temperature", "1.0", "--dtype", "float32",
               "--max-model-len", "512", "--enforce-eager"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out / "base.jsonl").exists() or not (out / "base.jsonl").stat().st_size:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    descendants = psutil.Process(proc.pid).children(recursive=True)
    assert len(descendants) >= 2  # the generation process and vLLM's engine process(es)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    gone, alive = psutil.wait_procs(descendants, timeout=30)
    assert not alive, [p.name() for p in alive]
    resume.repair_tail(out / "base.jsonl")
    assert 0 < len(read_done(out / "base.jsonl")[0]) < 60 * 64
