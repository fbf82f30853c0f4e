"""The grouped CPU LoRA kernels (codereason.vllm_cpu_lora) against vLLM's own torch kernels."""

from __future__ import annotations

import importlib

import pytest

torch = pytest.importorskip("torch")
lora_ops = pytest.importorskip("vllm.lora.ops.torch_ops")

from codereason import vllm_cpu_lora  # noqa: E402


@pytest.mark.parametrize("indices", [[0] * 7, [1, 0, 0, 1, 2, 2, 0], [2] * 7])
@pytest.mark.parametrize("four_dims", [False, True])
def test_grouped_kernels_give_vllms_sums(indices, four_dims):
    """Same output as vLLM's einsum kernels, for one slot and for mixed slots."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(7, 16, generator=generator, dtype=torch.bfloat16)
    a = torch.randn(3, 8, 16, generator=generator, dtype=torch.bfloat16)  # shrink: (slots, rank, in)
    b = torch.randn(3, 24, 8, generator=generator, dtype=torch.bfloat16)  # expand: (slots, out, rank)
    if four_dims:
        a, b = a.unsqueeze(1), b.unsqueeze(1)
    index = torch.tensor(indices)
    kernels = vllm_cpu_lora._kernels()
    shrunk = {}
    for name, ops in (("vllm", lora_ops), ("grouped", kernels)):
        shrunk[name] = torch.zeros(7, 8, dtype=torch.float32)
        _call(ops, "bgmv_shrink")(x, a, shrunk[name], index, 0.5)
    torch.testing.assert_close(shrunk["grouped"], shrunk["vllm"], rtol=1e-2, atol=1e-2)
    expanded = {}
    for name, ops in (("vllm", lora_ops), ("grouped", kernels)):
        expanded[name] = torch.ones(7, 40, dtype=torch.bfloat16)
        _call(ops, "bgmv_expand_slice")(shrunk["vllm"], b, expanded[name], index, 4, 24, True)
    torch.testing.assert_close(expanded["grouped"], expanded["vllm"], rtol=2e-2, atol=2e-2)
    assert not torch.equal(expanded["vllm"], torch.ones(7, 40, dtype=torch.bfloat16))


def test_a_token_without_an_adapter_gets_no_lora_term():
    """Slot -1 (a request of the base model) adds nothing; vLLM's CPU kernels would add the last slot's."""
    x, a = torch.randn(4, 16), torch.randn(2, 8, 16)
    index = torch.tensor([0, -1, 1, -1])
    grouped = torch.full((4, 8), 7.0)
    vllm_cpu_lora._kernels()["bgmv_shrink"](x, a, grouped, index, 1.0)
    assert torch.equal(grouped[[1, 3]], torch.zeros(2, 8))
    torch.testing.assert_close(grouped[[0, 2]], torch.stack([x[0] @ a[0].T, x[2] @ a[1].T]))
    theirs = torch.zeros(4, 8)
    lora_ops.bgmv_shrink(x, a, theirs, index, 1.0)
    torch.testing.assert_close(theirs[1], x[1] @ a[1].T)  # the last slot's product: what is avoided here
    expanded = torch.ones(4, 8)
    vllm_cpu_lora._kernels()["bgmv_expand"](grouped, torch.randn(2, 8, 8), expanded, index, True)
    assert torch.equal(expanded[[1, 3]], torch.ones(2, 8))


def test_prefill_kernels_spread_each_sequences_slot_over_its_tokens():
    x = torch.randn(6, 16)
    a = torch.randn(2, 8, 16)
    seq_lens, slots = torch.tensor([2, 4]), torch.tensor([1, 0])
    out = {}
    for name, ops in (("vllm", lora_ops), ("grouped", vllm_cpu_lora._kernels())):
        out[name] = torch.zeros(6, 8)
        _call(ops, "sgmv_shrink")(x, a, out[name], None, seq_lens, slots, 2, 4, 6, 1.0)
    torch.testing.assert_close(out["grouped"], out["vllm"])


def test_the_plugin_acts_only_where_codereason_asks(monkeypatch):
    module = importlib.import_module(vllm_cpu_lora.KERNEL_MODULE)
    own = module.bgmv_shrink
    monkeypatch.delenv(vllm_cpu_lora.ENV_FLAG, raising=False)
    monkeypatch.setattr(module, "_codereason_grouped", False, raising=False)
    vllm_cpu_lora.register()
    assert module.bgmv_shrink is own
    monkeypatch.setenv(vllm_cpu_lora.ENV_FLAG, "1")
    for name in vllm_cpu_lora._kernels():
        monkeypatch.setattr(module, name, getattr(module, name))  # put vLLM's back after the test
    vllm_cpu_lora.register()
    assert module.bgmv_shrink is not own and module._codereason_grouped


def _call(ops, name):
    return ops[name] if isinstance(ops, dict) else getattr(ops, name)
