"""Prompt presets: rendering through real tokenizers (the tiny model's, built here)."""

from __future__ import annotations

import pytest

from codereason.errors import ConfigError, GenerationError
from codereason.prompts import (
    BASE_MODEL_PRESETS,
    BOXED_INSTRUCTION,
    NO_CODE_INSTRUCTION,
    PRESETS,
    PYTHON_PREFIX,
    get_preset,
    prompt_sha256,
    render,
)

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from tests.vllm_fixtures import build_tiny_model  # noqa: E402

QUESTION = "What is 7 + 5?"


@pytest.fixture(scope="module")
def chat_tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("chat") / "m"))


@pytest.fixture(scope="module")
def base_tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("base") / "m", chat_template=False))


# (preset, text the chat rendering must contain, text it must end with, note)
CHAT_CASES = [
    ("qwen-math", f"<|im_start|>system\n{BOXED_INSTRUCTION}<|im_end|>", "<|im_start|>assistant\n",
     "the Qwen2.5-Math system prompt, then an open assistant turn"),
    ("plain", f"<|im_start|>user\n{QUESTION}<|im_end|>", "<|im_start|>assistant\n",
     "the question alone as the user turn, no system turn"),
    ("python", BOXED_INSTRUCTION, f"<|im_start|>assistant\n{PYTHON_PREFIX}",
     "the paper's intervention: the response is pre-filled"),
    ("no-python", NO_CODE_INSTRUCTION, "<|im_start|>assistant\n", "asks for no code in the user turn"),
    ("r1-think", f"User: {QUESTION}\nAssistant: <think>", "Assistant: <think>",
     "never uses the chat template, even when the model has one"),
]


@pytest.mark.parametrize("name, contains, ends_with, note", CHAT_CASES)
def test_render_with_chat_template(chat_tokenizer, name, contains, ends_with, note):
    prompt = render(get_preset(name), QUESTION, chat_tokenizer)
    assert contains in prompt, note
    assert prompt.endswith(ends_with), note
    assert QUESTION in prompt


def test_plain_has_no_system_turn(chat_tokenizer):
    assert "system" not in render(PRESETS["plain"], QUESTION, chat_tokenizer)


@pytest.mark.parametrize("name", ["qwen-math", "python", "no-python"])
def test_chat_presets_on_a_base_model_name_the_presets_that_work(base_tokenizer, name):
    with pytest.raises(GenerationError) as info:
        render(PRESETS[name], QUESTION, base_tokenizer)
    message = str(info.value)
    assert "chat template" in message
    for working in BASE_MODEL_PRESETS:
        assert f"--preset {working}" in message


@pytest.mark.parametrize("name, expected", [
    ("plain", f"{QUESTION}\n"),
    ("r1-think", None),
])
def test_base_model_presets_render_without_chat_template(base_tokenizer, name, expected):
    prompt = render(PRESETS[name], QUESTION, base_tokenizer)
    if expected is not None:
        assert prompt == expected
    assert QUESTION in prompt and "<|im_start|>" not in prompt


def test_base_model_presets_are_plain_and_r1_think():
    assert set(BASE_MODEL_PRESETS) == {"plain", "r1-think"}


def test_r1_think_stops_at_answer_tag():
    assert PRESETS["r1-think"].stop == ("</answer>",)


def test_every_preset_is_versioned_and_described():
    for name, preset in PRESETS.items():
        assert preset.name == name and preset.version >= 1 and preset.description
        assert preset.to_provenance() == {"preset": name, "preset_version": preset.version}


def test_unknown_preset_lists_the_choices():
    with pytest.raises(ConfigError, match="--preset must be one of 'qwen-math', 'r1-think'"):
        get_preset("qwen")


def test_prompt_hash_is_stable_and_sensitive(chat_tokenizer):
    first = prompt_sha256(render(PRESETS["qwen-math"], QUESTION, chat_tokenizer))
    again = prompt_sha256(render(PRESETS["qwen-math"], QUESTION, chat_tokenizer))
    other = prompt_sha256(render(PRESETS["python"], QUESTION, chat_tokenizer))
    assert first == again != other and len(first) == 64
