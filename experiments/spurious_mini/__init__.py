"""Spurious Rewards in miniature: GRPO + LoRA on SmolLM2-135M-Instruct, one run per reward (issue 16).

- :mod:`.problems`: the seeded training set (arithmetic and word problems with exact answers).
- :mod:`.config`: the experiment's TOML config, checked key by key.
- :mod:`.train`: one GRPO run per reward, LoRA adapters saved every K steps, a card per run.

Run everything with ``make mini-experiment`` (``python -m experiments.spurious_mini.train``).
"""
