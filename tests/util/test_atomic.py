"""Atomic writes leave either the complete new file or the old one, never a partial file."""

from __future__ import annotations

import pytest

from qnnflow.util import atomic


def test_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    atomic.atomic_write_bytes(target, b"one")
    atomic.atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_replace_dir_swaps_in_a_complete_folder(tmp_path):
    target = tmp_path / "out"
    atomic.replace_dir(target, lambda d: atomic.write_tree(d, {"a.txt": "old", "x/b": b"1"}))
    result = atomic.replace_dir(target, lambda d: atomic.write_tree(d, {"a.txt": "new"}) or 7)
    assert result == 7
    assert sorted(p.name for p in target.rglob("*")) == ["a.txt"]
    assert (target / "a.txt").read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o777 & ~atomic._umask()  # not mkdtemp's 0700
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_replace_dir_keeps_the_old_folder_when_writing_fails(tmp_path):
    target = tmp_path / "out"
    atomic.replace_dir(target, lambda d: atomic.write_tree(d, {"a.txt": "old"}))

    def half_then_fail(staging):
        atomic.write_tree(staging, {"a.txt": "half"})
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic.replace_dir(target, half_then_fail)
    assert (target / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_leftovers_are_what_killed_writers_leave(tmp_path):
    left = [".hls.staging-ab12cd_3", ".deploy.old-k2j4h5g6", ".estimate.json.x1y2z3w4.tmp"]
    kept = ["hls", ".hidden", ".notes.tmp", ".hls.staging-", "deploy.zip"]
    for name in left[:2] + ["hls"]:
        (tmp_path / name).mkdir()
    for name in left[2:] + kept[1:]:
        if not (tmp_path / name).exists():
            (tmp_path / name).write_text("x")
    assert sorted(p.name for p in atomic.leftovers(tmp_path)) == sorted(left)
    assert atomic.leftovers(tmp_path / "absent") == []
