"""The experiment's TOML config, checked key by key before anything trains.

A config has tables ``data``, ``prompt``, ``lora``, ``grpo`` and a list ``runs``
(``name``, ``reward``, optional ``params`` for the reward). An unknown table or
key, a missing key, or a reward outside :data:`PAPER_REWARDS` is refused with the
file and the key, never ignored.

>>> config = load_config(DEFAULT_CONFIG)
>>> [run.name for run in config.runs][:2], config.grpo["steps_per_generation"] > 1
(['ground_truth', 'random-seed0'], True)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codereason.errors import ConfigError
from codereason.integrations import PAPER_REWARDS

DEFAULT_CONFIG = Path(__file__).with_name("config.toml")
# Every key of every table, required. grpo keys other than adapter_every go to GRPOConfig as they are.
KEYS = {
    "data": {"size", "seed", "distinct_from"},
    "prompt": {"preset"},
    "lora": {"r", "alpha", "dropout", "target_modules", "save_dtype"},
    "grpo": {"per_device_train_batch_size", "num_generations", "steps_per_generation", "max_completion_length",
             "temperature", "learning_rate", "epsilon", "beta", "max_steps", "adapter_every", "seed"},
}
RUN_KEYS = {"name", "reward", "params"}


@dataclass(frozen=True)
class Run:
    """One training run: a name (its folder), a paper reward and the reward's parameters."""

    name: str
    reward: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentConfig:
    """The checked config; ``source`` is the file it came from (written into every card)."""

    source: str
    data: dict[str, Any]
    prompt: dict[str, Any]
    lora: dict[str, Any]
    grpo: dict[str, Any]
    runs: tuple[Run, ...]

    def with_grpo(self, **overrides) -> "ExperimentConfig":
        """The same config with some ``grpo`` values replaced (known keys only)."""
        unknown = set(overrides) - KEYS["grpo"]
        if unknown:
            raise ConfigError(f"grpo overrides: unknown key(s) {sorted(unknown)}; known: {sorted(KEYS['grpo'])}")
        return ExperimentConfig(self.source, self.data, self.prompt, self.lora, {**self.grpo, **overrides}, self.runs)

    def run(self, name: str) -> Run:
        """The run called ``name``."""
        for run in self.runs:
            if run.name == name:
                return run
        raise ConfigError.bad_choice("run", name, [run.name for run in self.runs])


def load_config(path: str | Path = DEFAULT_CONFIG) -> ExperimentConfig:
    """Read and check a config file.

    Raises:
        ConfigError: the file is not TOML, or a table/key is unknown or missing (the message names both).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    unknown = set(raw) - set(KEYS) - {"runs"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {sorted(unknown)}; known: {sorted(KEYS)} and [[runs]]")
    tables = {name: _checked_table(path, name, raw.get(name), keys) for name, keys in KEYS.items()}
    runs = tuple(_checked_run(path, index, entry) for index, entry in enumerate(raw.get("runs", [])))
    if not runs:
        raise ConfigError(f"{path}: no [[runs]] entry")
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: run names repeat: {names}")
    return ExperimentConfig(str(path), runs=runs, **tables)


def _checked_table(path: Path, name: str, table: Any, keys: set[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: missing table [{name}] (keys: {sorted(keys)})")
    unknown, missing = set(table) - keys, keys - set(table)
    if unknown or missing:
        raise ConfigError(f"{path}: [{name}] unknown key(s) {sorted(unknown)}, missing key(s) {sorted(missing)}")
    return dict(table)


def _checked_run(path: Path, index: int, entry: Any) -> Run:
    where = f"{path}: [[runs]] entry {index + 1}"
    if not isinstance(entry, dict) or not {"name", "reward"} <= set(entry) or set(entry) - RUN_KEYS:
        raise ConfigError(f"{where}: needs keys name and reward (and optionally params); got {entry!r}")
    if entry["reward"] not in PAPER_REWARDS:
        raise ConfigError(f"{where}: " + str(ConfigError.bad_choice("reward", entry["reward"], sorted(PAPER_REWARDS))))
    return Run(entry["name"], entry["reward"], dict(entry.get("params", {})))
