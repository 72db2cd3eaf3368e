"""The dataset folder: byte-identical for a seed, Darknet layout, counts, atomic writes, and
the reader giving back exactly what was drawn."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qnnflow.data.writer as writer
from qnnflow.data.reader import DetectionDataset, label_path
from qnnflow.data.scene import SceneConfig, render_scene
from qnnflow.data.writer import generate_dataset
from qnnflow.errors import QnnflowError

CFG = SceneConfig(width=64, height=48)
COUNTS = {"train": 5, "val": 2, "test": 3}


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path):
    generate_dataset(tmp_path / "a", 5, COUNTS, CFG)
    generate_dataset(tmp_path / "b", 5, COUNTS, CFG)
    generate_dataset(tmp_path / "c", 6, COUNTS, CFG)
    a, b, c = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys() and a["images/train/00000.jpg"] != c["images/train/00000.jpg"]


def test_drawing_in_threads_gives_the_bytes_of_one_by_one(tmp_path, monkeypatch):
    generate_dataset(tmp_path / "threads", 3, COUNTS, CFG)
    monkeypatch.setattr(writer, "DRAW_THREADS", 1)
    generate_dataset(tmp_path / "one", 3, COUNTS, CFG)
    assert tree(tmp_path / "threads") == tree(tmp_path / "one")
    assert len(tree(tmp_path / "one")) > 20  # images, labels, listings


def test_layout_and_counts(tmp_path):
    info = generate_dataset(tmp_path / "d", 1, COUNTS, CFG)
    root = tmp_path / "d"
    assert (root / "names.txt").read_text().split() == list(CFG.classes)
    saved = json.loads((root / "dataset.json").read_text())
    assert saved == info and saved["seed"] == 1 and saved["image_size"] == [64, 48]
    for split, n in COUNTS.items():
        listing = (root / f"{split}.txt").read_text().splitlines()
        assert listing == [f"images/{split}/{i:05d}.jpg" for i in range(n)]
        assert len(list((root / "labels" / split).glob("*.txt"))) == n
        labels = [DetectionDataset(root, split).labels(i) for i in range(n)]
        assert saved["splits"][split]["objects"] == sum(len(c) for _, c in labels)
        per_class = np.bincount(np.concatenate([c for _, c in labels]), minlength=4)
        assert list(saved["splits"][split]["objects_per_class"].values()) == per_class.tolist()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_val_and_test_do_not_depend_on_the_train_count(tmp_path):
    generate_dataset(tmp_path / "a", 3, {"train": 1, "val": 2}, CFG)
    generate_dataset(tmp_path / "b", 3, {"train": 4, "val": 2}, CFG)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert all(a[k] == b[k] for k in a if k.startswith(("images/val", "labels/val")))


def test_reader_returns_the_drawn_image_and_boxes(tmp_path):
    generate_dataset(tmp_path / "p", 9, {"test": 3}, CFG, image_format="png")
    dataset = DetectionDataset(tmp_path / "p", "test")
    assert len(dataset) == 3 and dataset.names == list(CFG.classes)
    for index, item in enumerate(dataset):
        scene = render_scene(np.random.default_rng([9, 2, index]), CFG)
        assert item.image.dtype == np.float32 and item.image.shape == (48, 64, 3)
        assert np.array_equal(np.round(item.image * 255).astype(np.uint8), scene.image)
        x0 = np.round((item.boxes[:, 0] - item.boxes[:, 2] / 2) * 64)
        y0 = np.round((item.boxes[:, 1] - item.boxes[:, 3] / 2) * 48)
        x1 = np.round((item.boxes[:, 0] + item.boxes[:, 2] / 2) * 64)
        y1 = np.round((item.boxes[:, 1] + item.boxes[:, 3] / 2) * 48)
        assert np.array_equal(np.column_stack([x0, y0, x1, y1]), scene.boxes)
        assert np.array_equal(item.classes, scene.classes)
    assert dataset[-1].path == dataset.images[2]


def test_existing_target_is_refused_unless_overwriting(tmp_path):
    generate_dataset(tmp_path / "d", 0, {"val": 1}, CFG)
    with pytest.raises(QnnflowError, match="already exists"):
        generate_dataset(tmp_path / "d", 1, {"val": 1}, CFG)
    generate_dataset(tmp_path / "d", 1, {"val": 2}, CFG, overwrite=True)
    assert json.loads((tmp_path / "d" / "dataset.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_a_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []

    def failing(rng, cfg):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return render_scene(rng, cfg)

    monkeypatch.setattr(writer, "render_scene", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_dataset(tmp_path / "d", 0, {"train": 4}, CFG)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": {"dev": 1}}, "unknown split"),
        ({"counts": {"train": 0}}, "not all zero"),
        ({"image_format": "gif"}, "image format"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_are_clear_errors(tmp_path, kwargs, message):
    with pytest.raises(QnnflowError, match=message):
        generate_dataset(tmp_path / "d", **{"cfg": CFG, **kwargs})
    assert not (tmp_path / "d").exists()


def test_reader_errors(tmp_path):
    with pytest.raises(QnnflowError, match="not found"):
        DetectionDataset(tmp_path / "none")
    (tmp_path / "names.txt").write_text("a\n")
    with pytest.raises(QnnflowError, match="no split 'test'"):
        DetectionDataset(tmp_path)
    (tmp_path / "test.txt").write_text("images/x.png\n")
    dataset = DetectionDataset(tmp_path)
    boxes, classes = dataset.labels(0)  # no label file: no objects, as in Darknet
    assert boxes.shape == (0, 4) and classes.shape == (0,)
    assert label_path(tmp_path / "images" / "x.png") == tmp_path / "labels" / "x.txt"
    with pytest.raises(QnnflowError, match="image not found"):
        dataset[0]
