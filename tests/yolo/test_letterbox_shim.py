"""The C++ letterbox (letterbox + threshold counts in one pass) equals the numpy input path
bit for bit: odd image sizes (wider, taller, tiny, exactly the net size), several net sizes,
uniform / sorted / unsorted threshold tables, values exactly on thresholds; and without the
shim (no g++, compile error) the numpy path runs instead."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from qnnflow.driver.host_graph import HostGraph, HostNode
from qnnflow.driver.input_path import InputPath
from qnnflow.errors import QnnflowError
from qnnflow.yolo import letterbox_shim, shim_build
from qnnflow.yolo.letterbox import letterbox_hwc
from qnnflow.yolo.shim_build import ShimUnavailable

F = np.float32
NEEDS_GPP = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
BYTE = ((np.arange(1, 256) - 0.5) / 255).astype(F)[None, :]  # the UINT8 input quantizer
ON_PIXELS = (np.arange(1, 256, dtype=F) / F(255))[None, :]  # thresholds = k / 255 exactly
ON_GREY = (np.arange(255, dtype=F) / F(254))[None, :]  # 127 / 254 = 0.5: the grey bands


def _path(op: str, table: np.ndarray, net: tuple[int, int], attrs=None) -> InputPath:
    nodes = (
        HostNode(op, "quant", ("input", "thr"), ("codes",), attrs or {}),
        HostNode("Transpose", "to_nhwc", ("codes",), ("stream",), {"perm": [0, 2, 3, 1]}),
    )
    path = InputPath.from_prefix(HostGraph(("input",), ("stream",), nodes, {"thr": table}), *net)
    assert path is not None
    return path


def _numpy(path: InputPath, image: np.ndarray, monkeypatch) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(letterbox_shim, "letterbox_library", lambda: None)
        assert not path.uses_shim(image)
        return path(image)


def _check(path: InputPath, image: np.ndarray, monkeypatch) -> np.ndarray:
    assert path.uses_shim(image)
    times: dict[str, float] = {}
    got = path(image, times)
    want = _numpy(path, image, monkeypatch)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert set(times) == {"letterbox", "host_prefix"}
    return got


SIZES = [(61, 97), (97, 61), (5, 3), (1, 1), (2, 40), (40, 3), (29, 37), (58, 74), (30, 31)]
NETS = [(37, 29), (32, 32), (48, 16)]


@NEEDS_GPP
@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("size", SIZES)
def test_shim_equals_numpy_on_random_frames(net, size, monkeypatch):
    image = np.random.default_rng(size[0] * 100 + size[1]).integers(0, 256, (*size, 3), np.uint8)
    image[0, 0] = [0, 128, 255]
    codes = _check(_path("UniformThreshold", BYTE, net), image, monkeypatch)
    assert codes.shape == (1, net[1], net[0], 3) and codes.dtype == np.uint8


@NEEDS_GPP
@pytest.mark.parametrize("table", [ON_PIXELS, ON_GREY, BYTE[:, ::17]])
@pytest.mark.parametrize("size", [(29, 37), (15, 19), (60, 74)])
def test_values_exactly_on_thresholds(table, size, monkeypatch):
    """At the net size the letterbox is k / 255 itself: ON_PIXELS puts every value on a
    threshold; ON_GREY puts the grey bands on one; upscaled frames blend equal pixels."""
    image = np.resize(np.arange(256, dtype=np.uint8), (*size, 3))
    path = _path("UniformThreshold", table, (37, 29))
    values = letterbox_hwc(image, 37, 29)
    if size == (29, 37) and table is ON_PIXELS:
        assert np.isin(values, table).mean() > 0.9  # the engineered case really is on them
    _check(path, image, monkeypatch)
    _check(_path("MultiThreshold", table, (37, 29)), image, monkeypatch)


@NEEDS_GPP
def test_per_channel_sorted_and_unsorted_tables(monkeypatch):
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (23, 41, 3), np.uint8)
    on_values = np.unique(letterbox_hwc(image, 32, 24))[::9][:40]  # letterbox values as thresholds
    sorted_rows = np.stack([on_values, on_values[::-1].copy()[::-1], np.sort(rng.random(40))])
    unsorted = rng.random((3, 6)).astype(F)
    for table in (sorted_rows.astype(F), unsorted):
        assert letterbox_shim.counting_mode(table, False)[0] in (
            letterbox_shim.SORTED,
            letterbox_shim.LINEAR,
        )
        _check(_path("MultiThreshold", table, (32, 24)), image, monkeypatch)
    assert letterbox_shim.counting_mode(unsorted, False)[0] == letterbox_shim.LINEAR


@NEEDS_GPP
def test_scaled_codes_and_one_channel(monkeypatch):
    seven = ((np.arange(1, 8) - 0.5) / 7).astype(F)[None, :]
    image = np.random.default_rng(3).integers(0, 256, (33, 17, 3), np.uint8)
    got = _check(_path("UniformThreshold", seven, (24, 24), {"out_bias": -3.0}), image, monkeypatch)
    assert got.dtype == F
    grey = np.random.default_rng(4).integers(0, 256, (19, 45, 1), np.uint8)
    _check(_path("UniformThreshold", BYTE, (24, 24)), grey, monkeypatch)


@NEEDS_GPP
@pytest.mark.parametrize("channels", [2, 4])
def test_other_channel_counts(channels, monkeypatch):
    """The unrolled RGB horizontal pass has a general twin for other channel counts."""
    image = np.random.default_rng(channels).integers(0, 256, (27, 50, channels), np.uint8)
    _check(_path("UniformThreshold", BYTE, (32, 24)), image, monkeypatch)
    table = np.sort(np.random.default_rng(9).random((channels, 5)), axis=1).astype(F)
    _check(_path("MultiThreshold", table, (32, 24)), image, monkeypatch)


@NEEDS_GPP
@pytest.mark.parametrize("levels", [1, 2, 9, 255])
def test_uneven_uniform_rows_correct_every_guess(levels, monkeypatch):
    """A sorted row far from evenly spaced (clustered, with +-inf ends): most guesses miss
    and take the exact count; a single threshold; the grey bands on a threshold."""
    rng = np.random.default_rng(levels)
    row = np.sort(rng.random(levels) ** 4).astype(F)
    row[-1] = np.inf if levels > 2 else row[-1]
    row[0] = -np.inf if levels > 8 else row[0]
    image = rng.integers(0, 256, (41, 23, 3), np.uint8)
    for table in (row[None, :], np.full((1, levels), 0.5, F)):
        _check(_path("UniformThreshold", table, (30, 30)), image, monkeypatch)


def test_float_images_and_wide_tables_stay_on_numpy():
    path = _path("UniformThreshold", BYTE, (16, 16))
    assert not path.uses_shim(np.zeros((8, 8, 3), F))
    wide = np.linspace(0, 1, 300, dtype=F)[None, :]
    assert not _path("UniformThreshold", wide, (16, 16)).uses_shim(np.zeros((8, 8, 3), np.uint8))


@NEEDS_GPP
def test_bad_table_is_one_error():
    lib = letterbox_shim.letterbox_library()
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(QnnflowError, match="does not fit 3 channels"):
        letterbox_shim.letterbox_codes(lib, image, 16, 16, np.zeros((2, 4), F), False)
    with pytest.raises(QnnflowError, match="HWC uint8 image"):
        letterbox_shim.letterbox_codes(lib, image[0], 16, 16, BYTE, True)


def test_fallback_when_the_shim_cannot_build(monkeypatch):
    def broken(*args, **kwargs):
        raise ShimUnavailable("no g++ to compile letterbox_shim.cpp")

    letterbox_shim.letterbox_library.cache_clear()
    monkeypatch.setattr(letterbox_shim, "compile_shim", broken)
    try:
        assert letterbox_shim.letterbox_library() is None
        path = _path("UniformThreshold", BYTE, (20, 12))
        image = np.random.default_rng(5).integers(0, 256, (9, 14, 3), np.uint8)
        assert not path.uses_shim(image)
        assert path(image).shape == (1, 12, 20, 3)
    finally:
        letterbox_shim.letterbox_library.cache_clear()


def test_board_compile_without_gpp_is_one_error(monkeypatch, tmp_path):
    source = tmp_path / "letterbox_shim.cpp"
    source.write_text(letterbox_shim.SHIM_SOURCE.read_text())
    monkeypatch.setattr(shim_build.shutil, "which", lambda name: None)
    with pytest.raises(ShimUnavailable, match="no g"):
        shim_build._compile_here(source, "0" * 64, letterbox_shim.FLAGS)


@NEEDS_GPP
def test_board_compile_builds_beside_the_source(tmp_path):
    source = tmp_path / "letterbox_shim.cpp"
    source.write_text(letterbox_shim.SHIM_SOURCE.read_text())
    library = shim_build._compile_here(source, "ab" * 32, letterbox_shim.FLAGS)
    assert library.parent == tmp_path / shim_build.BUILD_FOLDER and library.is_file()
    assert shim_build._compile_here(source, "ab" * 32, letterbox_shim.FLAGS) == library
