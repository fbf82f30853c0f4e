"""A tiny random Qwen2 model, built in the test session, and a shared vLLM engine for it.

The model: Qwen2 architecture, 2 layers, hidden size 128 with head_dim 64, a
byte-level BPE tokenizer trained here (``tokenizers``) on a few KB of text,
and a ChatML chat template. Random weights: its text is noise, which is what
the generator tests need (lengths, keys, provenance, resume), fast.

Import the fixtures into a test module: ``from tests.vllm_fixtures import tiny_model_dir, tiny_engine``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TRAINING_TEXT = """\
What is 7 + 5? The answer is 12. Solve for x: 2x + 5 = 17, so x = 6.
Let's solve this using Python. def solve(): return sum(range(1, 101)) print(solve())
Please reason step by step, and put your final answer within \\boxed{}.
The greatest common divisor of 48 and 18 is 6. How many ways can 4 books be arranged? 24.
A conversation between User and Assistant. <think> reasoning </think> <answer> 42 </answer>
"""
# Seconds-scale engine starts: no torch.compile for the tiny model.
TINY_ENGINE_OPTIONS = {"enforce_eager": True}


def build_tiny_model(directory: Path, chat_template: bool = True, seed: int = 0) -> Path:
    """Write a random 2-layer Qwen2 model and its trained tokenizer into ``directory``."""
    import torch
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_train_tokenizer(), eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", bos_token=None)
    if chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.save_pretrained(directory)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=64, max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    Qwen2ForCausalLM(config).to(torch.float32).save_pretrained(directory)
    return directory


def _train_tokenizer():
    """A byte-level BPE tokenizer trained on :data:`TRAINING_TEXT` (a few KB)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([TRAINING_TEXT] * 8, trainer=trainer)
    return tokenizer


def start_tiny_engine(model_dir: Path, seed: int = 0):
    """A vLLM engine on the tiny model with the generator's CPU defaults."""
    from codereason.generate import EngineConfig, start_engine

    return start_engine(model_dir, EngineConfig(dtype="float32", max_model_len=512, enforce_eager=True), seed)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The tiny model, built once per session."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-qwen2") / "model")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    """One vLLM engine on the tiny model, shared by every test of the session."""
    pytest.importorskip("vllm")
    from codereason.generate import shutdown_engine

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    engine = start_tiny_engine(tiny_model_dir)
    yield engine
    shutdown_engine(engine)
