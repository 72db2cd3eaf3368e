"""What one layer sees and produces over the calibration batches, for layer-by-layer
reconstruction (learned rounding, fast finetune)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from brevitas.graph.calibrate import QuantizationStatusManager, quantization_status_manager
from brevitas.quant_tensor import _unpack_quant_tensor


def _run_hooked(
    model: torch.nn.Module, batches: list[torch.Tensor], hook: torch.utils.hooks.RemovableHandle
) -> None:
    """Run the batches through `model` without gradients, then remove `hook`."""
    try:
        with torch.no_grad():
            for batch in batches:
                model(batch)
    finally:
        hook.remove()


def layer_inputs(
    model: torch.nn.Module, layer: torch.nn.Module, batches: list[torch.Tensor]
) -> list[object]:
    """The first argument of every call of `layer` while `model` runs the batches (a Brevitas
    QuantTensor stays one, so the layer sees exactly what it sees in the model)."""
    seen: list[object] = []
    _run_hooked(model, batches, layer.register_forward_pre_hook(lambda _m, a: seen.append(a[0])))
    return seen


def layer_outputs(
    model: torch.nn.Module, layer: torch.nn.Module, batches: list[torch.Tensor]
) -> list[torch.Tensor]:
    """The plain tensor output of every call of `layer` while `model` runs the batches."""
    seen: list[torch.Tensor] = []
    hook = layer.register_forward_hook(
        lambda _m, _a, out: seen.append(_unpack_quant_tensor(out).detach())
    )
    _run_hooked(model, batches, hook)
    return seen


@contextmanager
def quantization_disabled(model: torch.nn.Module) -> Iterator[None]:
    """Run a Brevitas model as its float original (weights, biases and activations unquantized)."""
    with quantization_status_manager(
        model,
        disable_act_quant=True,
        disable_weight_quant=True,
        disable_bias_quant=True,
        is_training=False,
    ):
        yield


@contextmanager
def output_unquantized(layer: torch.nn.Module) -> Iterator[None]:
    """Compare a layer's accumulator with the float layer's output, not its requantized output."""
    output_quant = getattr(layer, "output_quant", None)
    if output_quant is None or not output_quant.is_quant_enabled:
        yield
        return
    QuantizationStatusManager.disable_act_quantization(output_quant, is_training=False)
    try:
        yield
    finally:
        QuantizationStatusManager.enable_act_quantization(output_quant, is_training=False)


def layer_output(layer: torch.nn.Module, inputs: object) -> torch.Tensor:
    """Call a layer on a captured input and return a plain tensor."""
    return _unpack_quant_tensor(layer(inputs))


def sample_rows(inputs: list[object], targets: list[torch.Tensor], size: int) -> tuple:
    """A random mini-batch (global torch RNG, so seeded runs repeat) from one random call."""
    call = int(torch.randint(len(inputs), (1,)).item())
    rows = targets[call].shape[0]
    pick = torch.randperm(rows)[: min(size, rows)]
    return _rows(inputs[call], pick), targets[call][pick]


def _rows(value: object, pick: torch.Tensor) -> object:
    """Index the batch dimension of a tensor or a Brevitas QuantTensor."""
    if isinstance(value, torch.Tensor):
        return value[pick]
    return value.set(value=value.value[pick])  # a QuantTensor keeps its per-tensor scale


def in_call_order(
    model: torch.nn.Module, layers: list[tuple[str, torch.nn.Module]], batch: torch.Tensor
) -> list[tuple[str, torch.nn.Module]]:
    """The layers sorted by when the model first calls them, so each is tuned on the output
    of the layers before it as already tuned."""
    first_call: dict[str, int] = {}

    def record(name: str) -> None:  # a pre-hook's return value would replace the input
        first_call.setdefault(name, len(first_call))

    hooks = [
        layer.register_forward_pre_hook(lambda _m, _a, name=name: record(name))
        for name, layer in layers
    ]
    try:
        with torch.no_grad():
            model(batch[:1])
    finally:
        for hook in hooks:
            hook.remove()
    called = [pair for pair in layers if pair[0] in first_call]
    return sorted(called, key=lambda pair: first_call[pair[0]])
