"""Letterbox geometry, padding, the NCHW network input and the inverse box correction."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.yolo import correct_boxes, letterbox_image, letterbox_size, network_input, resize_image

F = np.float32


@pytest.mark.parametrize(
    ("im", "net", "expected"),
    [
        ((768, 576), (416, 416), (416, 312)),  # landscape
        ((576, 768), (416, 416), (312, 416)),  # portrait
        ((500, 500), (416, 416), (416, 416)),  # square: the else branch
        ((640, 480), (320, 256), (320, 240)),  # non-square network
        ((333, 777), (416, 416), (178, 416)),  # integer division truncates
    ],
)
def test_letterbox_size(im: tuple[int, int], net: tuple[int, int], expected: tuple[int, int]):
    assert letterbox_size(*im, *net) == expected


def test_landscape_is_padded_top_and_bottom() -> None:
    im = np.random.default_rng(0).random((8, 12, 3), dtype=np.float32)  # 12 wide, 8 high
    boxed = letterbox_image(im, 16, 16)
    assert boxed.shape == (16, 16, 3) and boxed.dtype == np.float32
    # new size 16x10, pasted at row (16 - 10) // 2 = 3
    np.testing.assert_array_equal(boxed[3:13], resize_image(im, 16, 10))
    assert np.all(boxed[:3] == 0.5) and np.all(boxed[13:] == 0.5)


def test_portrait_is_padded_left_and_right() -> None:
    im = np.random.default_rng(1).random((13, 7, 3), dtype=np.float32)  # 7 wide, 13 high
    boxed = letterbox_image(im, 20, 20)
    new_w, new_h = letterbox_size(7, 13, 20, 20)
    assert (new_w, new_h) == (10, 20)
    np.testing.assert_array_equal(boxed[:, 5:15], resize_image(im, 10, 20))
    assert np.all(boxed[:, :5] == 0.5) and np.all(boxed[:, 15:] == 0.5)


def test_network_input_is_nchw() -> None:
    im = np.random.default_rng(2).random((6, 9, 3), dtype=np.float32)
    x = network_input(im, 12, 10)
    assert x.shape == (1, 3, 10, 12) and x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_array_equal(x[0].transpose(1, 2, 0), letterbox_image(im, 12, 10))


def test_correct_boxes_undoes_the_letterbox() -> None:
    # 768x576 in 416x416: content 416x312 from row 52, i.e. y in [0.125, 0.875] of the net input
    boxes = np.array([[0.5, 0.5, 0.25, 0.75], [0.25, 0.125, 0.5, 0.375]], dtype=F)
    out = correct_boxes(boxes, 768, 576, 416, 416)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0.25, 1.0], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.25, 0.0, 0.5, 0.5], rtol=1e-6, atol=1e-7)


def test_correct_boxes_portrait_shifts_x() -> None:
    out = correct_boxes(np.array([[0.875, 0.5, 0.75, 0.5]], dtype=F), 576, 768, 416, 416)
    np.testing.assert_allclose(out[0], [1.0, 0.5, 1.0, 0.5], rtol=1e-6)


def test_correct_boxes_square_is_identity() -> None:
    boxes = np.random.default_rng(3).random((5, 4), dtype=np.float32)
    np.testing.assert_array_equal(correct_boxes(boxes, 300, 300, 416, 416), boxes)


def test_bad_inputs() -> None:
    with pytest.raises(QnnflowError, match=r"\[n, 4\]"):
        correct_boxes(np.zeros((3, 5), dtype=F), 10, 10, 10, 10)
    with pytest.raises(QnnflowError, match="positive"):
        letterbox_size(0, 10, 416, 416)
    with pytest.raises(QnnflowError, match="too elongated"):
        letterbox_size(1000, 1, 416, 416)
    with pytest.raises(QnnflowError, match="HWC"):
        letterbox_image(np.zeros((4, 4), dtype=F), 8, 8)


@pytest.mark.parametrize("size", [(17, 33), (33, 17), (1, 9), (48, 64), (29, 29)])
@pytest.mark.parametrize("net", [(32, 32), (45, 29)])
def test_letterbox_hwc_equals_letterbox_image(size, net) -> None:
    """The driver's letterbox (uint8 or float in, in-place resize, grey bands) is bit-identical
    to the plain transcription on uint8 images read as k / 255."""
    from qnnflow.yolo.letterbox import letterbox_hwc

    rng = np.random.default_rng(size[0] * 7 + net[0])
    pixels = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    floats = pixels.astype(np.float32) / np.float32(255)
    want = letterbox_image(floats, *net).tobytes()
    assert letterbox_hwc(pixels, *net).tobytes() == want
    assert letterbox_hwc(floats, *net).tobytes() == want
