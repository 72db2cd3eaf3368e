"""The detector's host input path in one go when the host graph before the accelerator is
just the input quantizer and the NCHW -> NHWC Transpose (a whole network in fabric):

    letterbox -> to_nchw -> Threshold (codes) -> Transpose(0, 2, 3, 1)  ==>
    letterbox (HWC) -> Threshold on HWC (codes)

A threshold node is elementwise per channel, so it commutes with the Transpose: quantizing
the HWC letterbox directly gives the same codes and skips both transposes. The grey bands
of the letterbox are one code per channel, quantized once per size; only the resized image
goes through the quantizer, written into the code canvas. Codes come out as the smallest
integer dtype when the node's out_scale is 1 and out_bias 0 (so packing a UINT8 stream is a
copy), else as the node's float32 values. Recognised from the graph (`InputPath.from_prefix`
is None for any other host graph): nothing here is tied to one model.

A uint8 frame into uint8 counts (at most 255 thresholds) goes through the C++ shim
(yolo/letterbox_shim.py: letterbox and counts in one pass, bit for bit these numpy steps)
when it builds here; otherwise, and for float images, the numpy steps below.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qnnflow.driver.host_graph import HostGraph, HostNode
from qnnflow.driver.host_ops import multithreshold, uniform_counts, uniform_row
from qnnflow.yolo import letterbox_shim
from qnnflow.yolo.letterbox import letterbox_placement
from qnnflow.yolo.resize import resize_into

_F32 = np.float32
THRESHOLD_OPS = ("UniformThreshold", "MultiThreshold")
NCHW_TO_NHWC = [0, 2, 3, 1]


@dataclass(frozen=True)
class InputPath:
    """Letterbox + quantize for a prefix graph `Threshold(NCHW) -> Transpose(0, 2, 3, 1)`."""

    node: HostNode
    thresholds: np.ndarray
    net_w: int
    net_h: int

    @classmethod
    def from_prefix(cls, prefix: HostGraph, net_w: int, net_h: int) -> InputPath | None:
        """The fast path for `prefix`, or None when its nodes are anything else."""
        if len(prefix.nodes) != 2 or len(prefix.inputs) != 1 or len(prefix.outputs) != 1:
            return None
        quant, move = prefix.nodes
        layout = quant.attrs.get("data_layout", "NCHW")
        if (
            quant.op not in THRESHOLD_OPS
            or quant.inputs[0] != prefix.inputs[0]
            or layout != "NCHW"
            or quant.inputs[1] not in prefix.initializers
            or move.op != "Transpose"
            or list(move.attrs.get("perm", [])) != NCHW_TO_NHWC
            or move.inputs != (quant.outputs[0],)
            or move.outputs != prefix.outputs
        ):
            return None
        table = np.asarray(prefix.initializers[quant.inputs[1]], _F32)
        return cls(quant, table, int(net_w), int(net_h))

    @property
    def integer_codes(self) -> bool:
        attrs = self.node.attrs
        return float(attrs.get("out_scale", 1.0)) == 1.0 and float(attrs.get("out_bias", 0)) == 0

    def uses_shim(self, image: np.ndarray) -> bool:
        """Whether `image` goes through the C++ letterbox (built here, uint8 in, uint8 counts)."""
        return (
            image.dtype == np.uint8
            and self.thresholds.ndim == 2
            and self.thresholds.shape[-1] <= letterbox_shim.MAX_LEVELS
            and letterbox_shim.letterbox_library() is not None
        )

    def _scaled(self, count: np.ndarray) -> np.ndarray:
        """Counts as the node's values: themselves for integer codes, else scale * c + bias."""
        if self.integer_codes:
            return count
        attrs = self.node.attrs
        scale, bias = _F32(attrs.get("out_scale", 1.0)), _F32(attrs.get("out_bias", 0.0))
        return (scale * count.astype(_F32) + bias).astype(_F32)

    def quantize(self, hwc: np.ndarray) -> np.ndarray:
        """[..., C] float32 (channels last) -> codes of the same shape, as the node computes
        them on NCHW (integers when `integer_codes`)."""
        if self.node.op == "UniformThreshold":
            count = uniform_counts(hwc, uniform_row(self.thresholds))
        else:
            attrs = {**self.node.attrs, "data_layout": "NHWC"}
            batch = hwc.reshape(1, -1, 1, hwc.shape[-1])
            unit = {**attrs, "out_scale": 1.0, "out_bias": 0.0}
            count = multithreshold([batch, self.thresholds], unit).reshape(hwc.shape)
            count = count.astype(np.uint8 if self.thresholds.shape[-1] < 256 else np.intp)
        return self._scaled(count)

    def __call__(self, image: np.ndarray, times: dict[str, float] | None = None) -> np.ndarray:
        """An HWC image (float, or uint8 read as k / 255) -> the accelerator input
        [1, net_h, net_w, C] codes, equal to letterbox -> prefix graph; `times` (if given)
        gets the seconds of "letterbox" (the resize; with the C++ shim, resize and counts in one
        pass) and "host_prefix" (the quantizer; with the shim, only scale and bias)."""
        began = time.perf_counter()
        if self.uses_shim(image):
            uniform = self.node.op == "UniformThreshold"
            table = uniform_row(self.thresholds)[None, :] if uniform else self.thresholds
            lib = letterbox_shim.letterbox_library()
            count = letterbox_shim.letterbox_codes(
                lib, image, self.net_w, self.net_h, table, uniform
            )
            counted_at = time.perf_counter()
            codes = self._scaled(count)
            if times is not None:
                times["letterbox"] = counted_at - began
                times["host_prefix"] = time.perf_counter() - counted_at
            return codes
        im_h, im_w, channels = image.shape
        top, left, new_h, new_w = letterbox_placement(im_w, im_h, self.net_w, self.net_h)
        resized = resize_into(image, np.empty((new_h, new_w, channels), _F32))
        resized_at = time.perf_counter()
        grey = self.quantize(np.full((1, channels), 0.5, _F32))[0]
        codes = self.quantize(resized)
        canvas = np.empty((1, self.net_h, self.net_w, channels), codes.dtype)
        canvas[:] = grey
        canvas[0, top : top + new_h, left : left + new_w] = codes
        if times is not None:
            times["letterbox"] = resized_at - began
            times["host_prefix"] = time.perf_counter() - resized_at
        return canvas
