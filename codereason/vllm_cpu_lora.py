"""A faster LoRA matmul for vLLM on CPU, loaded as a vLLM plugin in the engines codereason starts.

vLLM's CPU LoRA kernels (``vllm.lora.ops.torch_ops``, used by
``PunicaWrapperCPU``) gather one copy of the adapter matrix per token and
multiply token by token (``einsum("bi, boi -> bo", x, W[indices])``): millions
of tiny products per batch. Measured on this 2-core machine (SmolLM2-135M,
one rank-8 ``q_proj``/``v_proj`` adapter of ``experiments/spurious_mini``, the
100 prompts of codereason-100, <= 96 new tokens, T = 1, ``--enforce-eager``):
112 s with vLLM's kernels, 41-47 s with these, 36 s for the base model without
LoRA::

    codereason generate --checkpoints experiments/spurious_mini/runs/ground_truth -o OUT \
        --preset python --max-tokens 96 --temperature 1.0 --enforce-eager

Here each distinct adapter slot of a batch is one matrix product of the
tokens that use it, the same sum as the einsum. A token of slot -1 (a request
without an adapter) gets no LoRA term, as vLLM means it ("-1 means no lora
should be applied", ``vllm/lora/punica_wrapper/utils.py``) and its GPU kernels
do; vLLM's CPU kernels index ``W[-1]``, the last slot, so in a batch that mixes
the base model's requests with an adapter's, the base's got that adapter.
codereason batches them together (several jobs on one engine). The
replacement is installed only where ``CODEREASON_FAST_CPU_LORA=1`` is set,
which :func:`codereason.generate.start_engine` does for the CPU engines it starts,
so other users of vLLM in the same environment keep vLLM's own kernels.
"""

from __future__ import annotations

import os

ENV_FLAG = "CODEREASON_FAST_CPU_LORA"
# vLLM's names of the CPU kernels and where PunicaWrapperCPU imported them.
KERNEL_MODULE = "vllm.lora.punica_wrapper.punica_cpu"


def register() -> None:
    """The ``vllm.general_plugins`` entry point: install the grouped kernels when asked to (idempotent)."""
    if os.environ.get(ENV_FLAG) != "1":
        return
    import importlib

    module = importlib.import_module(KERNEL_MODULE)
    if getattr(module, "_codereason_grouped", False):
        return
    for name, kernel in _kernels().items():
        setattr(module, name, kernel)
    module._codereason_grouped = True


def grouped_product(inputs, weights, indices, dtype):
    """``einsum("bi, boi -> bo", inputs, weights[indices])`` as one product per distinct slot; 0 for slot -1.

    Args:
        inputs: ``(tokens, in)``.
        weights: ``(slots, out, in)`` or ``(slots, 1, out, in)``.
        indices: ``(tokens,)`` slot of each token; -1: no adapter (a zero row).
        dtype: the dtype of the product (the output's).
    """
    import torch

    if weights.dim() == 4:
        weights = weights.squeeze(1)
    inputs = inputs.to(dtype)
    slots = torch.unique(indices)
    if slots.numel() == 1 and int(slots[0]) >= 0:
        return inputs @ weights[slots[0]].to(dtype).T
    out = torch.zeros((inputs.shape[0], weights.shape[-2]), dtype=dtype, device=inputs.device)
    for slot in slots:
        if int(slot) >= 0:
            rows = indices == slot
            out[rows] = inputs[rows] @ weights[slot].to(dtype).T
    return out


def _kernels() -> dict:
    """The six kernels of ``vllm.lora.ops.torch_ops`` with :func:`grouped_product` inside."""
    import torch

    def bgmv_expand(inputs, lora_b_weights, output_tensor, lora_indices_tensor, add_inputs=True):
        outputs = grouped_product(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
        limit = output_tensor.shape[0]
        if outputs.shape[0] == 1 and output_tensor.shape[0] != 1:
            limit = 1
        common_len = min(outputs.shape[1], output_tensor.shape[1])
        if add_inputs:
            output_tensor[:, :common_len] += outputs[:limit, :common_len]
        else:
            output_tensor[:, :common_len] = outputs[:limit, :common_len]

    def bgmv_shrink(inputs, lora_b_weights, output_tensor, lora_indices_tensor, scaling=1.0):
        outputs = grouped_product(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
        output_tensor[:, : outputs.shape[1]] = scaling * outputs[:]

    def bgmv_expand_slice(inputs, lora_b_weights, output_tensor, lora_indices_tensor, slice_offset, slice_size,
                          add_inputs=True):
        outputs = grouped_product(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
        if add_inputs:
            output_tensor[:, slice_offset: slice_offset + slice_size] += outputs[:]
        else:
            output_tensor[:, slice_offset: slice_offset + slice_size] = outputs[:]

    def sgmv_expand(inputs, lora_b_weights, output_tensor, b_seq_start_loc, seq_len_tensor, lora_indices_tensor,
                    batches, max_seq_length, token_nums, add_inputs=False):
        exploded = torch.repeat_interleave(lora_indices_tensor, seq_len_tensor)
        bgmv_expand(inputs, lora_b_weights, output_tensor, exploded, add_inputs)

    def sgmv_shrink(inputs, lora_a_weights, output_tensor, b_seq_start_loc, seq_len_tensor, lora_indices_tensor,
                    batches, max_seq_length, token_nums, scaling):
        exploded = torch.repeat_interleave(lora_indices_tensor, seq_len_tensor)
        bgmv_shrink(inputs, lora_a_weights, output_tensor, exploded, scaling)

    def sgmv_expand_slice(inputs, lora_b_weights, output_tensor, b_seq_start_loc, seq_len_tensor,
                          lora_indices_tensor, batches, max_seq_length, token_nums, slice_offset, slice_size,
                          add_inputs=False):
        exploded = torch.repeat_interleave(lora_indices_tensor, seq_len_tensor)
        bgmv_expand_slice(inputs, lora_b_weights, output_tensor, exploded, slice_offset, slice_size, add_inputs)

    return {"bgmv_expand": bgmv_expand, "bgmv_shrink": bgmv_shrink, "bgmv_expand_slice": bgmv_expand_slice,
            "sgmv_expand": sgmv_expand, "sgmv_shrink": sgmv_shrink, "sgmv_expand_slice": sgmv_expand_slice}
