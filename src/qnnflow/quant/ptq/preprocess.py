"""How an image becomes a network input for classification and calibration: pixels on the
0..1 scale, a geometry (letterbox, stretch or center-crop to H x W), a channel order (RGB,
BGR or one gray channel), then (x - mean) / std per channel.

Mean and std are on the 0..1 pixel scale, as torchvision writes them (ImageNet:
mean 0.485,0.456,0.406, std 0.229,0.224,0.225); constants written for 0..255 pixels are
divided by 255 first. Resampling is Darknet's bilinear `resize_image` (no antialiasing), the
resize the detectors and the board's classifier pipeline use, so a model sees the same pixels
here and on the board; gray is the board's BT.601 luma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from numbers import Integral
from pathlib import Path

import numpy as np

from qnnflow.driver.classify import to_grayscale
from qnnflow.errors import QnnflowError
from qnnflow.yolo.letterbox import letterbox_image
from qnnflow.yolo.resize import resize_image

CHANNEL_ORDERS = ("rgb", "bgr", "gray")
RESIZE_MODES = ("letterbox", "stretch", "center-crop")
_F32 = np.float32


def parse_channel_values(text: str, what: str) -> tuple[float, ...]:
    """'0.5' or '0.485,0.456,0.406' -> floats (for --mean / --std); one line when malformed."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise QnnflowError(
            f"{what} must be a number or a comma list of numbers (one per channel), got '{text}'"
        ) from None
    return values


def cover_size(im_w: int, im_h: int, out_w: int, out_h: int) -> tuple[int, int]:
    """The (w, h) the image is scaled to, keeping its aspect, so it covers `out_w` x `out_h`
    with the short side (relative to the output) fitting exactly; integer arithmetic."""
    if min(im_w, im_h, out_w, out_h) < 1:
        raise QnnflowError(f"image and output sizes must be positive, got {im_w}x{im_h}")
    if out_w * im_h >= out_h * im_w:  # the width binds: scale by out_w / im_w
        return out_w, max(out_h, (im_h * out_w) // im_w)
    return max(out_w, (im_w * out_h) // im_h), out_h


def center_crop(image: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Scale an HWC image to cover `out_w` x `out_h` (aspect kept), then cut out the centre
    (offsets rounded down, like torchvision's CenterCrop on even margins)."""
    im_h, im_w = image.shape[:2]
    new_w, new_h = cover_size(im_w, im_h, out_w, out_h)
    scaled = image if (new_w, new_h) == (im_w, im_h) else resize_image(image, new_w, new_h)
    top, left = (new_h - out_h) // 2, (new_w - out_w) // 2
    return scaled[top : top + out_h, left : left + out_w, :]


def _stretch(image: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    if image.shape[:2] == (out_h, out_w):
        return image
    return resize_image(image, out_w, out_h)


@dataclass(frozen=True)
class Preprocess:
    """Image -> float32 [C, H, W] network input; `input_size` is (height, width)."""

    input_size: tuple[int, int]
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    channels: str = "rgb"
    resize: str = "stretch"

    def __post_init__(self) -> None:
        size = tuple(self.input_size)
        if len(size) != 2 or not all(
            isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in size
        ):
            raise QnnflowError(f"--input-size must be two positive integers HxW, got {size}")
        object.__setattr__(self, "input_size", (int(size[0]), int(size[1])))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if self.channels not in CHANNEL_ORDERS:
            raise QnnflowError(
                f"--channels must be one of {', '.join(CHANNEL_ORDERS)}, got '{self.channels}'"
            )
        if self.resize not in RESIZE_MODES:
            raise QnnflowError(
                f"--resize must be one of {', '.join(RESIZE_MODES)}, got '{self.resize}'"
            )
        for name, values in (("--mean", self.mean), ("--std", self.std)):
            if len(values) not in (1, self.channel_count):
                wanted = "1 value" if self.channel_count == 1 else "1 or 3 values"
                raise QnnflowError(
                    f"{name} needs {wanted} for --channels {self.channels}, got "
                    f"{len(values)}: {','.join(map(str, values))}"
                )
            if not all(math.isfinite(v) for v in values):
                raise QnnflowError(f"{name} values must be finite, got {values}")
        if any(v <= 0 for v in self.std):
            raise QnnflowError(f"--std values must be > 0, got {self.std}")

    @property
    def channel_count(self) -> int:
        return 1 if self.channels == "gray" else 3

    @property
    def chw(self) -> tuple[int, int, int]:
        return (self.channel_count, *self.input_size)

    def geometry(self, image: np.ndarray) -> np.ndarray:
        """HWC float32 image in [0, 1] -> H x W x 3 by the resize mode."""
        out_h, out_w = self.input_size
        if self.resize == "letterbox":
            return letterbox_image(image, out_w, out_h)
        if self.resize == "center-crop":
            return center_crop(image, out_w, out_h)
        return _stretch(image, out_w, out_h)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """An HWC RGB image (uint8, or float32 in [0, 1]) -> float32 [C, H, W]."""
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise QnnflowError(f"expected an HWC RGB image, got shape {list(array.shape)}")
        if array.dtype == np.uint8:
            array = array.astype(_F32) / _F32(255.0)
        shaped = self.geometry(array.astype(_F32, copy=False))
        if self.channels == "bgr":
            shaped = shaped[:, :, ::-1]
        elif self.channels == "gray":
            shaped = to_grayscale(shaped)
        mean = np.asarray(self.mean, dtype=_F32)
        std = np.asarray(self.std, dtype=_F32)
        normalised = (shaped.astype(_F32) - mean) / std
        return np.ascontiguousarray(normalised.transpose(2, 0, 1), dtype=_F32)


def default_preprocess(input_shape: tuple[int, ...]) -> Preprocess:
    """The plain input a 1- or 3-channel NCHW model takes: its H x W, gray or RGB."""
    if len(input_shape) != 4 or input_shape[1] not in (1, 3):
        raise QnnflowError(
            f"the model input {list(input_shape)} is not a 1- or 3-channel NCHW image"
        )
    return Preprocess(input_shape[2:], channels="gray" if input_shape[1] == 1 else "rgb")


def resolve_preprocess(input_shape: tuple[int, ...], **given) -> Preprocess:
    """`default_preprocess` with the options the user gave (None = not given); the result
    must produce the model's input shape."""
    pre = default_preprocess(input_shape)
    chosen = {k: v for k, v in given.items() if v is not None}
    pre = replace(pre, **chosen)
    if tuple(pre.chw) != tuple(input_shape[1:]):
        raise QnnflowError(
            f"preprocessing makes {' x '.join(map(str, pre.chw))} inputs (--channels "
            f"{pre.channels}, --input-size {pre.input_size[0]}x{pre.input_size[1]}), the model "
            f"takes {' x '.join(map(str, input_shape[1:]))}"
        )
    return pre


RECORD_SUFFIX = ".train.json"


def recorded_preprocess(model: str | Path) -> dict:
    """The preprocessing a model was trained with, from `<model>.train.json` beside it (what
    `qnnflow train-classifier` writes): {} when there is no record."""
    import json

    record = Path(model).with_suffix(RECORD_SUFFIX)
    if not record.is_file():
        return {}
    try:
        given = json.loads(record.read_text()).get("preprocessing") or {}
        found = {
            "input_size": tuple(int(v) for v in given["input_size"]),
            "mean": tuple(float(v) for v in given["mean"]),
            "std": tuple(float(v) for v in given["std"]),
            "channels": str(given["channels"]),
            "resize": str(given.get("resize", "stretch")),
        }
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise QnnflowError(
            f"{record}: unreadable 'preprocessing' record ({type(exc).__name__}: {exc}); "
            "fix or remove it, or pass --mean/--std/--channels/--resize"
        ) from None
    return found


def with_recorded_preprocess(model: str | Path, given: dict) -> dict:
    """The user's preprocessing options, each one not given taken from the model's training
    record (so the committed classifiers score as trained without repeating --mean/--std)."""
    recorded = recorded_preprocess(model)
    return {k: given[k] if given.get(k) is not None else recorded.get(k) for k in given}
