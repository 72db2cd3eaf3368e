"""A torch (Brevitas) network built layer by layer from a parsed Darknet cfg, with the
importer's topology and inference arithmetic, in float or with a QAT scheme's quantizers.

Layer `i` of the cfg is `blocks[i]`, so Darknet weights map onto parameters by layer index
(see `darknet_io`). The forward returns the raw head tensors (what the importer's graph
outputs): one tensor, or a tuple when the cfg has several heads.
"""

from __future__ import annotations

import torch
from brevitas.nn import QuantConv2d, QuantIdentity, QuantReLU
from brevitas.quant import Int8WeightPerChannelFloat
from torch import nn

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.layers import (
    ConvLayer,
    DarknetNetwork,
    MaxPoolLayer,
    RegionLayer,
    RouteLayer,
    ShortcutLayer,
    UpsampleLayer,
    YoloLayer,
)
from qnnflow.quant.qat.modules import (
    DarknetBatchNorm2d,
    DarknetMaxPool,
    Route,
    Shortcut,
    Upsample,
    float_activation,
)
from qnnflow.quant.qat.scheme import (
    BinaryWeightPerFilterMeanAbs,
    ImageInput8bit,
    QatScheme,
    UnsignedActLearnedScale,
    check_network,
)

DEFAULT_ACT_MAX = 2.0  # start of a learned activation clip when no calibration is given
NONNEGATIVE_ACTS = ("relu", "logistic")


class ConvBlock(nn.Module):
    """Darknet [convolutional]: conv (+ bias when there is no batch norm), batch norm,
    activation. `role` is 'first', 'hidden' or 'last' among the cfg's convs."""

    def __init__(self, layer: ConvLayer, role: str, scheme: QatScheme, act_max: float) -> None:
        super().__init__()
        self.index = layer.index
        self.role = role
        args = dict(
            in_channels=layer.in_shape[0],
            out_channels=layer.filters,
            kernel_size=layer.size,
            stride=layer.stride,
            padding=layer.padding,
            groups=layer.groups,
            bias=not layer.batch_normalize,
        )
        edge_bits = scheme.first_last_bits
        if scheme.quantized and role == "hidden":
            self.conv = QuantConv2d(**args, weight_quant=BinaryWeightPerFilterMeanAbs)
        elif scheme.quantized and edge_bits is not None:
            self.conv = QuantConv2d(
                **args, weight_quant=Int8WeightPerChannelFloat, weight_bit_width=edge_bits
            )
        else:
            self.conv = nn.Conv2d(**args)
        self.bn = DarknetBatchNorm2d(layer.filters) if layer.batch_normalize else None
        if scheme.quantized and role != "last":
            self.act: nn.Module = QuantReLU(
                act_quant=UnsignedActLearnedScale,
                bit_width=scheme.act_bits,
                max_val=float(act_max),
                return_quant_tensor=False,
            )
        else:
            self.act = float_activation(layer.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if self.bn is not None:
            y = self.bn(y)
        return self.act(y)


def _conv_roles(network: DarknetNetwork) -> dict[int, str]:
    convs = [layer.index for layer in network.conv_layers]
    roles = {index: "hidden" for index in convs}
    if convs:
        roles[convs[-1]] = "last"
        roles[convs[0]] = "first"
    return roles


class DarknetQatNet(nn.Module):
    """The whole cfg as a torch module; `heads` lists the region/yolo layers in cfg order."""

    def __init__(
        self,
        network: DarknetNetwork,
        scheme: QatScheme,
        act_max: dict[int, float] | None = None,
    ) -> None:
        super().__init__()
        check_network(network, scheme)
        if not network.heads:
            raise QnnflowError(f"{network.path}: no [region] or [yolo] head to train")
        self.network = network
        self.scheme = scheme
        self.input_quant = None
        if scheme.quantized and scheme.first_last_bits is not None:
            self.input_quant = QuantIdentity(act_quant=ImageInput8bit, return_quant_tensor=False)
        roles = _conv_roles(network)
        act_max = act_max or {}
        nonneg: list[bool] = []
        blocks: list[nn.Module] = []
        for layer in network.layers:
            if isinstance(layer, ConvLayer):
                limit = act_max.get(layer.index, DEFAULT_ACT_MAX)
                blocks.append(ConvBlock(layer, roles[layer.index], scheme, limit))
                nonneg.append(layer.activation in NONNEGATIVE_ACTS)
            elif isinstance(layer, MaxPoolLayer):
                blocks.append(DarknetMaxPool(layer, nonneg[-1] if nonneg else False))
                nonneg.append(nonneg[-1] if nonneg else False)
            elif isinstance(layer, RouteLayer):
                channels = [network.layers[s].out_shape[0] for s in layer.sources]
                blocks.append(Route(layer.sources, channels, layer.groups, layer.group_id))
                nonneg.append(all(nonneg[s] for s in layer.sources))
            elif isinstance(layer, UpsampleLayer):
                blocks.append(Upsample(layer.stride, layer.scale))
                nonneg.append((nonneg[-1] if nonneg else False) and layer.scale >= 0)
            elif isinstance(layer, ShortcutLayer):
                blocks.append(Shortcut(layer.source, float_activation(layer.activation)))
                nonneg.append(layer.activation in NONNEGATIVE_ACTS)
            elif isinstance(layer, (RegionLayer, YoloLayer)):
                blocks.append(nn.Identity())
                nonneg.append(nonneg[-1] if nonneg else False)
            else:
                raise QnnflowError(f"{network.path}:{layer.line}: {layer.describe()} unsupported")
        self.blocks = nn.ModuleList(blocks)
        self.head_indices = [layer.index for layer in network.heads]

    @property
    def heads(self) -> list[RegionLayer | YoloLayer]:
        return list(self.network.heads)  # type: ignore[arg-type]

    def conv_blocks(self) -> list[ConvBlock]:
        return [b for b in self.blocks if isinstance(b, ConvBlock)]

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        if self.input_quant is not None:
            x = self.input_quant(x)
        outputs: list[torch.Tensor] = []
        for block in self.blocks:
            if isinstance(block, Route):
                x = block(outputs)
            elif isinstance(block, Shortcut):
                x = block(x, outputs)
            else:
                x = block(x)
            outputs.append(x)
        heads = tuple(outputs[i] for i in self.head_indices)
        return heads[0] if len(heads) == 1 else heads
