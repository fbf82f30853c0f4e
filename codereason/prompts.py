"""Prompt presets: named, versioned ways to turn a question into a model prompt.

A preset is data (:class:`Preset`); :func:`render` applies it to one question
with the model's tokenizer. Changing what a preset renders means bumping its
``version``: records carry the preset name, version and the SHA-256 of the
rendered prompt, so two runs are comparable exactly when those agree.

==========  =======================================================================
name        what the model sees
==========  =======================================================================
qwen-math   chat template; system "Please reason step by step, and put your final
            answer within \\boxed{}."; the question as the user turn
r1-think    no chat template: the base-model ``<think>...</think><answer>...</answer>``
            prompt, stopped at ``</answer>``
plain       the question alone (as the user turn when the model has a chat template)
python      qwen-math, with the response pre-filled to begin "Let's solve this using
            Python." (the Spurious Rewards prompting intervention)
no-python   qwen-math, asking the model to reason in words and write no code
==========  =======================================================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from codereason.errors import ConfigError, GenerationError

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
PYTHON_PREFIX = "Let's solve this using Python."
NO_CODE_INSTRUCTION = "Do not write or use any program code; reason in natural language only."
R1_TEMPLATE = (
    "A conversation between User and Assistant. The User asks a question, and the Assistant "
    "solves it. The Assistant first thinks about the reasoning process in the mind and then "
    "provides the User with the answer. The reasoning process is enclosed within <think> </think> "
    "and answer is enclosed within <answer> </answer> tags, respectively, i.e., "
    "<think> reasoning process here </think> <answer> answer here </answer>.\n"
    "User: {question}\nAssistant: <think>"
)


@dataclass(frozen=True)
class Preset:
    """One way of prompting.

    Attributes:
        name: the ``--preset`` name.
        version: bumped whenever the rendered text changes.
        description: one line for ``--help`` and reports.
        system: the system message (chat presets), or None.
        user_suffix: text appended to the question in the user turn, after a blank line.
        raw_template: a ``str.format`` template with ``{question}`` used without chat
            template, or None when the preset needs a chat template.
        chat: use the model's chat template when it has one.
        response_prefix: text the response is pre-filled with (ends the prompt).
        stop: stop strings, kept in the output.
    """

    name: str
    version: int
    description: str
    system: str | None = None
    user_suffix: str = ""
    raw_template: str | None = None
    chat: bool = True
    response_prefix: str = ""
    stop: tuple[str, ...] = field(default_factory=tuple)

    @property
    def needs_chat_template(self) -> bool:
        """True when the preset cannot render without a chat template."""
        return self.chat and self.raw_template is None

    def to_provenance(self) -> dict[str, Any]:
        """The preset's identity as stored in records."""
        return {"preset": self.name, "preset_version": self.version}


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("qwen-math", 1, "chat template, system asks for step-by-step reasoning and a \\boxed{} answer",
               system=BOXED_INSTRUCTION),
        Preset("r1-think", 1, "base-model <think>/<answer> prompt, no chat template, stops at </answer>",
               raw_template=R1_TEMPLATE, chat=False, stop=("</answer>",)),
        Preset("plain", 1, "the question alone (inside the chat template when the model has one)",
               raw_template="{question}\n"),
        Preset("python", 1, "qwen-math with the response pre-filled: \"Let's solve this using Python.\"",
               system=BOXED_INSTRUCTION, response_prefix=PYTHON_PREFIX),
        Preset("no-python", 1, "qwen-math, asking for natural-language reasoning without code",
               system=BOXED_INSTRUCTION, user_suffix=NO_CODE_INSTRUCTION),
    )
}
BASE_MODEL_PRESETS = tuple(name for name, preset in PRESETS.items() if not preset.needs_chat_template)


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        ConfigError: no such preset.
    """
    if name not in PRESETS:
        raise ConfigError.bad_choice("--preset", name, PRESETS)
    return PRESETS[name]


def has_chat_template(tokenizer: Any) -> bool:
    """True when the tokenizer carries a chat template."""
    return bool(getattr(tokenizer, "chat_template", None))


def render(preset: Preset, question: str, tokenizer: Any = None) -> str:
    """The prompt text for ``question``, ending with the preset's response prefix.

    Args:
        preset: the preset.
        question: the problem statement.
        tokenizer: a Hugging Face tokenizer (for its chat template), or None for
            a model without one.

    Raises:
        GenerationError: the preset needs a chat template the model lacks; the
            message names the presets that work for base models.

    >>> render(PRESETS["plain"], "What is 2+2?")
    'What is 2+2?\\n'
    """
    if preset.chat and tokenizer is not None and has_chat_template(tokenizer):
        text = _render_chat(preset, question, tokenizer)
    elif preset.raw_template is not None:
        text = preset.raw_template.format(question=question)
    else:
        raise GenerationError(
            f"preset {preset.name!r} needs a chat template and this model has none (a base model?); "
            f"use --preset {' or --preset '.join(BASE_MODEL_PRESETS)}"
        )
    return text + preset.response_prefix


def _render_chat(preset: Preset, question: str, tokenizer: Any) -> str:
    """Apply the tokenizer's chat template (system turn when the preset has one)."""
    user = f"{question}\n\n{preset.user_suffix}" if preset.user_suffix else question
    messages = [{"role": "system", "content": preset.system}] if preset.system else []
    messages.append({"role": "user", "content": user})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def uses_chat_template(preset: Preset, tokenizer: Any) -> bool:
    """True when :func:`render` goes through the chat template (special tokens included)."""
    return preset.chat and tokenizer is not None and has_chat_template(tokenizer)


def prompt_sha256(prompt: str) -> str:
    """The SHA-256 hex digest of a rendered prompt.

    >>> prompt_sha256("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()
