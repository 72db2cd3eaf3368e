"""Preprocess on hand-computed pixels: normalisation per channel, channel orders, and the
letterbox / stretch / center-crop geometry."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.preprocess import (
    Preprocess,
    center_crop,
    cover_size,
    parse_channel_values,
    resolve_preprocess,
)

F32 = np.float32


def _image(h: int, w: int) -> np.ndarray:
    """uint8 HWC with distinct values: R = 10 * pixel index, G = R + 1, B = R + 2."""
    base = (np.arange(h * w, dtype=np.uint8) * 10).reshape(h, w)
    return np.stack([base, base + 1, base + 2], axis=-1)


def test_identity_size_is_pixels_over_255_in_chw():
    im = _image(2, 3)
    out = Preprocess((2, 3)).apply(im)
    assert out.dtype == F32 and out.shape == (3, 2, 3)
    np.testing.assert_array_equal(out, im.transpose(2, 0, 1).astype(F32) / F32(255))


def test_mean_std_per_channel_and_broadcast():
    im = np.zeros((1, 1, 3), dtype=np.uint8)
    im[0, 0] = (255, 0, 51)  # 1.0, 0.0, 0.2 on the 0..1 scale
    out = Preprocess((1, 1), mean=(0.5, 0.25, 0.2), std=(0.25, 0.5, 2.0)).apply(im)
    expected = [(F32(1) - F32(0.5)) / F32(0.25), -F32(0.25) / F32(0.5)]
    expected.append((F32(51) / F32(255) - F32(0.2)) / F32(2.0))
    np.testing.assert_array_equal(out[:, 0, 0], np.array(expected, dtype=F32))
    single = Preprocess((1, 1), mean=(0.5,), std=(0.5,)).apply(im)
    np.testing.assert_array_equal(single[:, 0, 0], np.array([1.0, -1.0, -0.6], dtype=F32))


def test_bgr_reverses_channels_before_the_per_channel_mean():
    im = np.array([[[255, 0, 0]]], dtype=np.uint8)  # pure red
    out = Preprocess((1, 1), mean=(0.0, 0.0, 0.5), channels="bgr").apply(im)
    # channel 0 is blue (0), channel 2 is red (1.0) minus its mean 0.5
    np.testing.assert_array_equal(out[:, 0, 0], np.array([0.0, 0.0, 0.5], dtype=F32))


def test_gray_is_bt601_luma_and_exact_on_gray_pixels():
    im = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [51, 51, 51]]], dtype=np.uint8)
    out = Preprocess((2, 2), channels="gray").apply(im)
    assert out.shape == (1, 2, 2)
    np.testing.assert_allclose(out[0].ravel()[:3], [0.299, 0.587, 0.114], rtol=1e-6)
    assert out[0, 1, 1] == F32(51) / F32(255)


def test_letterbox_pads_with_half_grey_and_keeps_aspect():
    im = _image(2, 4)  # 4 wide, 2 high -> 4x2 inside 4x4, one grey row above and below
    out = Preprocess((4, 4), resize="letterbox").apply(im)
    assert np.all(out[:, 0, :] == F32(0.5)) and np.all(out[:, 3, :] == F32(0.5))
    np.testing.assert_array_equal(out[:, 1:3, :], Preprocess((2, 4)).apply(im))
    normalised = Preprocess((4, 4), mean=(0.25,), std=(0.5,), resize="letterbox").apply(im)
    assert np.all(normalised[:, 0, :] == F32(0.5))  # the grey is normalised too: (0.5-0.25)/0.5


def test_stretch_2x2_to_3x3_is_darknet_bilinear():
    im = np.array([[[0] * 3, [100] * 3], [[200] * 3, [40] * 3]], dtype=np.uint8)
    out = Preprocess((3, 3)).apply(im)
    a, b, c, d = (F32(v) / F32(255) for v in (0, 100, 200, 40))
    half = F32(0.5)
    top = [a, half * a + half * b, b]
    bottom = [c, half * c + half * d, d]
    middle = [half * t + half * u for t, u in zip(top, bottom, strict=True)]
    np.testing.assert_array_equal(out[0], np.array([top, middle, bottom], dtype=F32))
    np.testing.assert_array_equal(out[0], out[2])


def test_center_crop_scales_the_short_side_then_cuts_the_centre():
    im = _image(2, 4)  # scale factor 1 to cover 2x2: crop columns 1 and 2
    out = Preprocess((2, 2), resize="center-crop").apply(im)
    np.testing.assert_array_equal(out, Preprocess((2, 4)).apply(im)[:, :, 1:3])
    tall = _image(6, 2)  # cover 2x2: 2 wide, 6 high -> crop rows 2 and 3
    out = Preprocess((2, 2), resize="center-crop").apply(tall)
    np.testing.assert_array_equal(out, Preprocess((6, 2)).apply(tall)[:, 2:4, :])


def test_center_crop_upscales_a_small_image_to_cover():
    im = np.full((2, 3, 3), 0.25, dtype=F32)
    assert cover_size(3, 2, 4, 4) == (6, 4)
    assert center_crop(im, 4, 4).shape == (4, 4, 3)
    assert np.all(center_crop(im, 4, 4) == F32(0.25))


def test_cover_size_never_undershoots():
    cases = [(7, 5, 3, 3), (5, 7, 4, 2), (640, 480, 224, 224), (3, 9, 8, 8)]
    for im_w, im_h, out_w, out_h in cases:
        new_w, new_h = cover_size(im_w, im_h, out_w, out_h)
        assert new_w >= out_w and new_h >= out_h
        assert new_w == out_w or new_h == out_h


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_size": (0, 4)}, "--input-size must be two positive integers"),
        ({"input_size": (4, 4), "mean": (0.1, 0.2)}, "--mean needs 1 or 3 values"),
        (
            {"input_size": (4, 4), "std": (0.5, 0.5, 0.5), "channels": "gray"},
            "--std needs 1 value for --channels gray",
        ),
        ({"input_size": (4, 4), "std": (0.0,)}, "--std values must be > 0"),
        ({"input_size": (4, 4), "mean": (float("nan"),)}, "--mean values must be finite"),
        ({"input_size": (4, 4), "channels": "rgba"}, "--channels must be one of"),
        ({"input_size": (4, 4), "resize": "crop"}, "--resize must be one of"),
    ],
)
def test_bad_options_are_one_line(kwargs, message):
    with pytest.raises(QnnflowError, match=message) as caught:
        Preprocess(**kwargs)
    assert "\n" not in str(caught.value)


def test_parse_channel_values():
    assert parse_channel_values("0.485,0.456,0.406", "--mean") == (0.485, 0.456, 0.406)
    assert parse_channel_values("1", "--std") == (1.0,)
    with pytest.raises(QnnflowError, match="--mean must be a number or a comma list"):
        parse_channel_values("0.5;0.5", "--mean")


def test_non_rgb_image_is_refused():
    with pytest.raises(QnnflowError, match="expected an HWC RGB image"):
        Preprocess((2, 2)).apply(np.zeros((2, 2), dtype=np.uint8))


def test_defaults_follow_the_model_input_and_options_override_them():
    assert resolve_preprocess((1, 1, 28, 28)) == Preprocess((28, 28), channels="gray")
    chosen = resolve_preprocess((1, 3, 32, 32), mean=(0.5,), resize="letterbox", std=None)
    assert chosen == Preprocess((32, 32), mean=(0.5,), resize="letterbox")
    with pytest.raises(QnnflowError, match="makes 3 x 16 x 16 inputs .* takes 3 x 32 x 32"):
        resolve_preprocess((1, 3, 32, 32), input_size=(16, 16))
    with pytest.raises(QnnflowError, match=r"input \[1, 64\] is not a 1- or 3-channel NCHW"):
        resolve_preprocess((1, 64))


def test_a_training_record_beside_the_model_supplies_unset_preprocessing(tmp_path):
    from qnnflow.quant.ptq.preprocess import with_recorded_preprocess

    model = tmp_path / "net.onnx"
    (tmp_path / "net.train.json").write_text(
        '{"preprocessing": {"input_size": [32, 32], "channels": "gray", '
        '"mean": [0.3], "std": [0.25], "resize": "stretch"}}'
    )
    given = {"input_size": None, "mean": None, "std": (0.5,), "channels": None, "resize": None}
    chosen = with_recorded_preprocess(model, given)
    assert chosen == {
        "input_size": (32, 32),
        "mean": (0.3,),
        "std": (0.5,),  # what the user gave wins
        "channels": "gray",
        "resize": "stretch",
    }
    assert with_recorded_preprocess(tmp_path / "other.onnx", given) == given


def test_a_broken_training_record_is_one_clear_error(tmp_path):
    from qnnflow.quant.ptq.preprocess import with_recorded_preprocess

    (tmp_path / "net.train.json").write_text('{"preprocessing": {"mean": [0.3]}}')
    with pytest.raises(QnnflowError, match=r"net\.train\.json: unreadable 'preprocessing'"):
        with_recorded_preprocess(tmp_path / "net.onnx", {"mean": None})
