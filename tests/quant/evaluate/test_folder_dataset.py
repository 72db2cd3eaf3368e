"""Folder-per-class sets: class order (sorted or classes.txt), splits, round-robin
max_images, and one-line errors for layouts that cannot be scored."""

from __future__ import annotations

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.evaluate.folder_dataset import load_classify_folder


def _touch(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return root


def test_sorted_classes_and_round_robin_order(tmp_path):
    _touch(tmp_path, "b/1.png", "b/0.png", "a/0.jpg", "a/1.PNG", "a/2.png", "c/deep/0.png")
    data = load_classify_folder(tmp_path)
    assert data.classes == ["a", "b", "c"]
    assert [str(f.relative_to(tmp_path)) for f in data.files] == [
        "a/0.jpg",
        "b/0.png",
        "c/deep/0.png",
        "a/1.PNG",
        "b/1.png",
        "a/2.png",
    ]
    assert data.labels.tolist() == [0, 1, 2, 0, 1, 0]
    assert load_classify_folder(tmp_path, max_images=3).labels.tolist() == [0, 1, 2]


def test_classes_txt_sets_the_indices_and_names_missing_classes(tmp_path):
    _touch(tmp_path, "test/cat/0.png", "test/dog/0.png", "train/cat/0.png")
    (tmp_path / "classes.txt").write_text("dog\nbird\ncat\n")
    data = load_classify_folder(tmp_path, split="test")
    assert data.classes == ["dog", "bird", "cat"] and data.root == tmp_path / "test"
    assert sorted(zip(data.labels.tolist(), [f.parent.name for f in data.files], strict=True)) == [
        (0, "dog"),
        (2, "cat"),
    ]
    (tmp_path / "test" / "classes.txt").write_text("cat\ndog\n")  # the split's own wins
    assert load_classify_folder(tmp_path, split="test").classes == ["cat", "dog"]


@pytest.mark.parametrize(
    ("files", "listing", "kwargs", "message"),
    [
        (["a/0.png"], None, {"split": "dev"}, "no split 'dev' \\(folders: a\\)"),
        (["0.png"], None, {}, "no class folders"),
        (["a/0.txt"], None, {}, "no images .* in its class folders \\(a\\)"),
        (["a/0.png", "z/0.png"], "a\nb\n", {}, "folder\\(s\\) z not named in classes.txt"),
        (["a/0.png"], "a\na\n", {}, "classes listed twice: a"),
        (["a/0.png"], "\n\n", {}, "lists no classes"),
        (["a/0.png"], None, {"max_images": 0}, "--max-images"),
    ],
)
def test_errors_are_one_line(tmp_path, files, listing, kwargs, message):
    _touch(tmp_path, *files)
    if listing is not None:
        (tmp_path / "classes.txt").write_text(listing)
    with pytest.raises(QnnflowError, match=message) as caught:
        load_classify_folder(tmp_path, **kwargs)
    assert "\n" not in str(caught.value)


def test_missing_folder(tmp_path):
    with pytest.raises(QnnflowError, match="dataset folder not found"):
        load_classify_folder(tmp_path / "nope")
