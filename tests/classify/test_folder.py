"""The classification datasets on disk: folder-per-class layout, byte-identical regeneration,
balanced (shapes) or stratified (digits) classes, and pixels read back exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from qnnflow.classify.datasets import digits_splits, shapes_splits
from qnnflow.classify.folder import make_classification_dataset, read_split
from qnnflow.commands.make_dataset import make_dataset_cmd
from qnnflow.errors import QnnflowError

SHAPES = ["circle", "ellipse", "rectangle", "triangle"]


def tree(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_shapes_layout_balance_and_determinism(tmp_path):
    counts = {"train": 12, "val": 4, "test": 8}
    info = make_classification_dataset(tmp_path / "a", "shapes", 5, (32, 32), counts)
    make_classification_dataset(tmp_path / "b", "shapes", 5, (32, 32), counts)
    first = tree(tmp_path / "a")
    assert first == tree(tmp_path / "b")  # byte-identical
    assert (tmp_path / "a" / "classes.txt").read_text().split() == SHAPES
    for split, n in counts.items():
        assert info["splits"][split]["per_class"] == {c: n // 4 for c in SHAPES}
        files = [k for k in first if k.startswith(f"{split}/")]
        assert len(files) == n and all(k.count("/") == 2 and k.endswith(".png") for k in files)
    with Image.open(tmp_path / "a" / "train" / "circle" / "00000.png") as image:
        assert image.mode == "RGB" and image.size == (32, 32)
    other = make_classification_dataset(tmp_path / "c", "shapes", 6, (32, 32), counts)
    assert other["splits"] == info["splits"] and tree(tmp_path / "c") != first  # seed matters


def test_a_split_does_not_depend_on_the_others(tmp_path):
    small = shapes_splits(1, (32, 32), {"train": 4, "test": 4})
    large = shapes_splits(1, (32, 32), {"train": 12, "val": 3, "test": 4})
    assert np.array_equal(small["test"].images, large["test"].images)
    assert np.array_equal(small["train"].images, large["train"].images[:4])
    assert list(large["train"].labels) == [0, 1, 2, 3] * 3


def test_read_split_returns_the_generated_pixels(tmp_path):
    counts = {"train": 8, "val": 0, "test": 4}
    make_classification_dataset(tmp_path / "d", "shapes", 2, (24, 40), counts)
    generated = shapes_splits(2, (24, 40), counts)["test"]
    read, classes = read_split(tmp_path / "d", "test")
    assert classes == tuple(SHAPES) and read.images.shape == (4, 24, 40, 3)
    order = np.argsort(generated.labels, kind="stable")  # the reader walks class folders
    assert np.array_equal(read.images, generated.images[order])
    assert np.array_equal(read.labels, generated.labels[order])


def test_digits_split_is_stratified_seeded_and_gray(tmp_path):
    info = make_classification_dataset(tmp_path / "g", "digits", 0)
    sizes = {s: v["images"] for s, v in info["splits"].items()}
    assert sum(sizes.values()) == 1797 and sizes == {"train": 1258, "val": 179, "test": 360}
    from sklearn.datasets import load_digits

    totals = np.bincount(load_digits().target)
    for split, fraction in (("train", 0.7), ("val", 0.1), ("test", 0.2)):
        per_class = np.array(list(info["splits"][split]["per_class"].values()))
        assert np.all(np.abs(per_class - fraction * totals) <= 1)  # stratified to the image
    read, classes = read_split(tmp_path / "g", "val")
    assert classes == tuple(str(d) for d in range(10)) and read.images.shape[1:] == (32, 32, 1)
    assert read.images.max() == 255 and read.images.min() == 0
    test, _ = read_split(tmp_path / "g", "test")
    reseeded = digits_splits(1, (32, 32))["test"]
    assert {bytes(im) for im in test.images} != {bytes(im) for im in reseeded.images}
    assert (tmp_path / "g" / "classes.txt").read_text() == "".join(f"{d}\n" for d in range(10))


def test_digit_upscaling_is_bilinear_from_the_8x8_levels():
    from sklearn.datasets import load_digits

    split = digits_splits(0, (8, 8))  # no scaling: the 0..16 levels times 255/16
    all_digits = load_digits().images
    levels = np.round(all_digits * 255 / 16).astype(np.uint8)
    firsts = {bytes(im) for im in levels}
    assert all(bytes(im[:, :, 0]) in firsts for im in split["test"].images)


def test_make_dataset_classify_cli(tmp_path):
    out = tmp_path / "cls"
    args = ["--task", "classify", "--source", "shapes", "-o", str(out), "--seed", "3"]
    result = CliRunner().invoke(
        make_dataset_cmd, [*args, "--train", "4", "--val", "4", "--test", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "4 classes, train 4 images, val 4 images, test 0 images" in result.output
    info = json.loads((out / "dataset.json").read_text())
    assert info["source"] == "shapes" and info["seed"] == 3 and info["image_size"] == [32, 32]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--task", "classify"], "needs --source"),
        (["--task", "classify", "--source", "digits", "--train", "5"], "fixed 70/10/20"),
        (["--task", "classify", "--source", "shapes", "--format", "jpg"], "PNG"),
        (["--source", "shapes"], "--task classify only"),
        (["--task", "classify", "--source", "shapes", "--size", "8", "--train", "1"], "16x16"),
        (["--task", "classify", "--source", "shapes", "--train", "0", "--val", "0"], "not all"),
    ],
)
def test_make_dataset_classify_errors(tmp_path, extra, message):
    result = CliRunner().invoke(
        make_dataset_cmd, ["-o", str(tmp_path / "x"), *extra, "--test", "0"]
    )
    assert isinstance(result.exception, QnnflowError), result.output
    assert message in str(result.exception)
    assert not (tmp_path / "x").exists()


def test_existing_folder_is_kept_without_overwrite(tmp_path):
    counts = {"train": 4}
    make_classification_dataset(tmp_path / "e", "shapes", 0, (32, 32), counts)
    with pytest.raises(QnnflowError, match="already exists"):
        make_classification_dataset(tmp_path / "e", "shapes", 1, (32, 32), counts)
    make_classification_dataset(tmp_path / "e", "shapes", 1, (32, 32), counts, overwrite=True)
    assert json.loads((tmp_path / "e" / "dataset.json").read_text())["seed"] == 1


def test_read_split_errors(tmp_path):
    with pytest.raises(QnnflowError, match="no classes"):
        read_split(tmp_path, "train")
    (tmp_path / "classes.txt").write_text("a\nb\n")
    (tmp_path / "train" / "a").mkdir(parents=True)
    with pytest.raises(QnnflowError, match="no PNG images"):
        read_split(tmp_path, "train")
    (tmp_path / "train" / "a" / "0.png").write_bytes(b"not a png")
    with pytest.raises(QnnflowError, match="0.png: cannot read"):
        read_split(tmp_path, "train")
    Image.new("L", (8, 8)).save(tmp_path / "train" / "a" / "0.png")
    Image.new("L", (8, 9)).save(tmp_path / "train" / "a" / "1.png")
    with pytest.raises(QnnflowError, match="differ in size"):
        read_split(tmp_path, "train")
