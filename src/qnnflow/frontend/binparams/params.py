"""Load the trained Tinier-YOLO parameter archive (binary weights + integer thresholds)
and check it before anything is built from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError


@dataclass
class HiddenLayer:
    """A binary 3x3 conv with 3-bit thresholds, optionally followed by a max-pool."""

    index: int
    weight: np.ndarray  # int8 [Cout, Cin, 3, 3], values in {-1, +1}, natural frame
    thresholds: np.ndarray  # int [Cout, T], non-decreasing
    pad: int
    pool: tuple[int, int, int] | None  # (size, stride, extra bottom/right padding)


@dataclass
class TinierYoloParams:
    hidden: list[HiddenLayer]
    conv0_weight: np.ndarray
    conv0_bias: np.ndarray
    conv0_stride: int
    conv0_pad: int
    act_clip_max: float
    act_levels: int
    conv8_weight: np.ndarray
    conv8_bias: np.ndarray
    conv8_input_scale: float
    anchors: np.ndarray  # [num, 2] in grid cells
    classes: int
    coords: int
    num: int
    names: list[str]
    input_size: tuple[int, int]


def _get(data, key: str, path: Path) -> np.ndarray:
    if key not in data.files:
        raise QnnflowError(f"{path}: missing array '{key}'")
    return data[key]


def _hidden_layer(data, i: int, path: Path, pools: dict) -> HiddenLayer:
    weight = _get(data, f"conv{i}_weight", path).astype(np.int8)
    thresholds = _get(data, f"conv{i}_thresholds", path).astype(np.int64)
    if not np.isin(weight, (-1, 1)).all():
        raise QnnflowError(f"{path}: conv{i}_weight has values other than -1/+1")
    if thresholds.shape[0] != weight.shape[0] or np.any(np.diff(thresholds, axis=1) < 0):
        raise QnnflowError(f"{path}: conv{i}_thresholds must be [Cout, T] and non-decreasing")
    invert = _get(data, f"conv{i}_invert", path)
    if np.any(invert):
        raise QnnflowError(
            f"{path}: conv{i}_invert is set for {int(np.count_nonzero(invert))} "
            "channels; inverted thresholds are not supported"
        )
    pad = int(_get(data, "conv_pads", path)[i])
    return HiddenLayer(i, weight, thresholds, pad, pools.get(i))


def load_binparams(path: str | Path) -> TinierYoloParams:
    """Read a `tinier_yolo_w1a3.npz`-style archive (see ../shared/data/tinier-yolo/README)."""
    path = Path(path)
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise QnnflowError(f"{path}: cannot read parameter archive: {exc}") from None
    after = _get(data, "maxpool_after_conv", path)
    pools = {
        int(c): (int(s), int(st), int(p))
        for c, s, st, p in zip(
            after,
            _get(data, "maxpool_size", path),
            _get(data, "maxpool_stride", path),
            _get(data, "maxpool_pad_bottom_right", path),
            strict=True,
        )
    }
    hidden_ids = sorted(int(k[4:-7]) for k in data.files if k.endswith("_invert"))
    if not hidden_ids:
        raise QnnflowError(f"{path}: no binary hidden layers (conv<i>_invert arrays) found")
    hidden = [_hidden_layer(data, i, path, pools) for i in hidden_ids]
    for prev, layer in zip(hidden, hidden[1:], strict=False):
        if layer.weight.shape[1] != prev.weight.shape[0]:
            raise QnnflowError(
                f"{path}: conv{layer.index} expects {layer.weight.shape[1]} "
                f"input channels, conv{prev.index} gives {prev.weight.shape[0]}"
            )
    anchors = _get(data, "region_anchors", path).astype(np.float32)
    return TinierYoloParams(
        hidden=hidden,
        conv0_weight=_get(data, "conv0_weight", path).astype(np.float32),
        conv0_bias=_get(data, "conv0_bias", path).astype(np.float32),
        conv0_stride=int(_get(data, "conv_strides", path)[0]),
        conv0_pad=int(_get(data, "conv_pads", path)[0]),
        act_clip_max=float(_get(data, "conv0_act_clip_max", path)),
        act_levels=int(_get(data, "conv0_act_levels", path)),
        conv8_weight=_get(data, "conv8_weight", path).astype(np.float32),
        conv8_bias=_get(data, "conv8_bias", path).astype(np.float32),
        conv8_input_scale=float(_get(data, "conv8_input_scale", path)),
        anchors=anchors,
        classes=int(_get(data, "region_classes", path)),
        coords=int(_get(data, "region_coords", path)),
        num=int(_get(data, "region_num", path)),
        names=[str(n) for n in _get(data, "voc_names", path)],
        input_size=tuple(int(v) for v in _get(data, "input_size", path)),
    )
