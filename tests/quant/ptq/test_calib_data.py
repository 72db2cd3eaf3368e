"""Calibration inputs: image folders (recursive, sorted, round-robin by folder, max_samples)
and preprocessed .npy arrays; every bad input is one line naming the file and reason."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.calib_data import (
    Preprocess,
    interleave_by_folder,
    load_calib_dir,
    load_calib_npy,
    load_image_batch,
)

PRE = Preprocess((4, 4))


def _png(path, value: int, size=(4, 4)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, dtype=np.uint8)).save(path)


@pytest.fixture
def class_dir(tmp_path):
    """a/0.png=10 a/1.png=11 a/2.png=12, b/0.png=20, c/x/0.png=30 (nested), notes.txt."""
    for name, value in [("a/0", 10), ("a/1", 11), ("a/2", 12), ("b/0", 20), ("c/x/0", 30)]:
        _png(tmp_path / f"{name}.png", value)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def _values(batch: np.ndarray) -> list[int]:
    return [round(float(v) * 255) for v in batch[:, 0, 0, 0]]


def test_folder_is_recursive_and_round_robin(class_dir):
    batch = load_calib_dir(class_dir, PRE)
    assert batch.shape == (5, 3, 4, 4) and batch.dtype == np.float32
    assert _values(batch) == [10, 20, 30, 11, 12]
    assert _values(load_calib_dir(class_dir, PRE, max_samples=3)) == [10, 20, 30]
    np.testing.assert_array_equal(load_calib_dir(class_dir, PRE, 2), batch[:2])  # deterministic


def test_images_of_other_sizes_are_resized(class_dir):
    _png(class_dir / "a" / "3.png", 40, size=(9, 7))
    batch = load_calib_dir(class_dir, Preprocess((2, 3), resize="center-crop"))
    assert batch.shape == (6, 3, 2, 3)


def test_interleave_is_independent_of_input_order(tmp_path):
    files = [tmp_path / p for p in ("b/2.png", "a/1.png", "b/1.png", "a/0.png", "c.png")]
    assert [str(p.relative_to(tmp_path)) for p in interleave_by_folder(files)] == [
        "c.png",
        "a/0.png",
        "b/1.png",
        "a/1.png",
        "b/2.png",
    ]


@pytest.mark.parametrize("bad", [0, -3])
def test_max_samples_below_one_is_refused(class_dir, bad):
    with pytest.raises(QnnflowError, match="--max-samples"):
        load_calib_dir(class_dir, PRE, bad)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(QnnflowError, match="calibration folder not found"):
        load_calib_dir(tmp_path / "nope", PRE)
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "a.txt").write_text("x")
    with pytest.raises(QnnflowError, match="no images") as caught:
        load_calib_dir(tmp_path / "empty", PRE)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"not a png at all", b"\x89PNG\r\n\x1a\n\x00\x00junk"])
def test_unreadable_image_is_one_line_naming_it(class_dir, content):
    broken = class_dir / "b" / "1.png"
    broken.write_bytes(content)
    with pytest.raises(QnnflowError, match="cannot read image") as caught:
        load_calib_dir(class_dir, PRE)
    assert str(broken) in str(caught.value) and "\n" not in str(caught.value)


def test_image_batch_of_nothing_is_empty():
    assert load_image_batch([], Preprocess((5, 6), channels="gray")).shape == (0, 1, 5, 6)


def _npy(tmp_path, array, name="x.npy"):
    path = tmp_path / name
    np.save(path, array)
    return path


def test_npy_rows_and_max_samples(tmp_path):
    data = np.random.default_rng(0).normal(size=(5, 3, 4, 4)).astype(np.float64)
    path = _npy(tmp_path, data)
    out = load_calib_npy(path, (1, 3, 4, 4))
    assert out.dtype == np.float32 and out.shape == (5, 3, 4, 4)
    np.testing.assert_array_equal(out, data.astype(np.float32))
    assert load_calib_npy(path, (1, 3, 4, 4), max_samples=2).shape == (2, 3, 4, 4)
    flat = _npy(tmp_path, np.zeros((3, 64), dtype=np.float32), "flat.npy")
    assert load_calib_npy(flat, (1, 64)).shape == (3, 64)  # an FC model's input


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((3, 4, 4), np.float32), "expected a 4-d array N x 3 x 4 x 4 .* got shape"),
        (np.zeros((2, 1, 4, 4), np.float32), "expected N x 3 x 4 x 4 .* got 2 x 1 x 4 x 4"),
        (np.zeros((2, 3, 4, 5), np.float32), "expected N x 3 x 4 x 4 .* got 2 x 3 x 4 x 5"),
        (np.zeros((0, 3, 4, 4), np.float32), "holds no samples"),
        (np.zeros((2, 3, 4, 4), np.uint8), "expected preprocessed float32 values, got dtype uint8"),
    ],
)
def test_npy_shape_and_dtype_errors(tmp_path, array, message):
    with pytest.raises(QnnflowError, match=message) as caught:
        load_calib_npy(_npy(tmp_path, array), (1, 3, 4, 4))
    assert "x.npy" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_npy_non_finite_values_name_the_sample(tmp_path, bad):
    data = np.zeros((4, 3, 4, 4), np.float32)
    data[2, 1, 0, 3] = bad
    with pytest.raises(QnnflowError, match="1 NaN or infinite value.*sample 2"):
        load_calib_npy(_npy(tmp_path, data), (1, 3, 4, 4))
    assert load_calib_npy(_npy(tmp_path, data), (1, 3, 4, 4), max_samples=2).shape[0] == 2


def test_npy_missing_unreadable_and_npz(tmp_path):
    with pytest.raises(QnnflowError, match="calibration data not found"):
        load_calib_npy(tmp_path / "nope.npy", (1, 3, 4, 4))
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"hello")
    with pytest.raises(QnnflowError, match="junk.npy: not a readable .npy array") as caught:
        load_calib_npy(junk, (1, 3, 4, 4))
    assert "\n" not in str(caught.value)
    archive = tmp_path / "two.npy"
    with archive.open("wb") as handle:
        np.savez(handle, a=np.zeros(2), b=np.ones(2))
    with pytest.raises(QnnflowError, match="several arrays"):
        load_calib_npy(archive, (1, 3, 4, 4))
    objects = _npy(tmp_path, np.array([{"a": 1}], dtype=object), "objects.npy")
    with pytest.raises(QnnflowError, match="objects.npy: not a readable .npy array"):
        load_calib_npy(objects, (1, 3, 4, 4))
