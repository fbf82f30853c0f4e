"""Execute each notebook (nbclient, this interpreter's kernel): their cells assert the numbers they claim.

Parameters are injected after the ``parameters`` cell, papermill-style. A notebook whose
real data is missing is skipped with the reason.
"""

from __future__ import annotations

import os

import nbformat
import pytest

from tests.conftest import REPO

NOTEBOOKS = REPO / "notebooks"
CASES = [  # (notebook, real-data folder it needs, note)
    ("classifier_validation.ipynb", "spurious-1p5b-gt-steps", "hand labels: keys into all four real-data folders"),
    ("reproduce_code_reasoning_shift.ipynb", "spurious-1p5b-gt-steps", "Qwen2.5-Math-1.5B base + GRPO checkpoints"),
    ("training_logs.ipynb", "cs336-grpo-qwen1p5b-rollouts", "GRPO training logs, two prompt setups"),
    ("spurious_rewards_in_miniature.ipynb", None, "the shipped runs and demo results of experiments/spurious_mini"),
]


def _kernel_name() -> str:
    """A kernelspec that runs this interpreter (jupyter_client maps argv 'python' to sys.executable)."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        pytest.skip("no python3 kernelspec: run `python -m ipykernel install --sys-prefix`")
    return "python3"


def _inject(nb, params: dict) -> None:
    """Insert a cell that overrides the parameters cell's values, as papermill does."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], "the first cell must be the only one tagged `parameters`"
    source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(1, cell)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("name, folder, note", CASES, ids=[c[0] for c in CASES])
def test_notebook_executes_and_its_assertions_hold(name, folder, note, realdata, tmp_path, monkeypatch) -> None:
    from nbclient import NotebookClient

    if folder is not None and not (realdata / folder).is_dir():
        pytest.skip(f"{name} needs {realdata / folder} ({note})")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    _inject(nb, {"REALDATA": str(realdata), "FIGURES": str(tmp_path / "figures")})
    monkeypatch.setenv("CODEREASON_REALDATA", str(realdata))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, kernel_name=_kernel_name(), timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    assert list((tmp_path / "figures").glob("*.png")), "the notebook saved no figure"


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_notebooks_are_committed_thin(name) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    size = (NOTEBOOKS / name).stat().st_size
    assert size < 60_000, f"{name} is {size} bytes: clear its outputs before committing"
