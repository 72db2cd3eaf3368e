"""deploy.zip's writer: the same folder gives the same bytes, and local-only files stay out."""

from __future__ import annotations

import os
import zipfile

from qnnflow.util.archive import write_zip, zip_bytes


def _folder(root):
    (root / "runtime" / "qnnflow").mkdir(parents=True)
    (root / "runtime" / "qnnflow" / "a.py").write_text("x = 1\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    return root


def test_same_files_give_same_bytes_whatever_their_times(tmp_path):
    first = _folder(tmp_path / "a")
    second = _folder(tmp_path / "b")
    os.utime(second / "run.sh", (1_000_000, 1_000_000))
    assert zip_bytes(first) == zip_bytes(second)


def test_local_caches_are_not_shipped(tmp_path):
    folder = _folder(tmp_path / "deploy")
    (folder / ".sim-build" / "abc").mkdir(parents=True)
    (folder / ".sim-build" / "abc" / "sim").write_bytes(b"\x7fELF")
    (folder / "runtime" / "qnnflow" / "__pycache__").mkdir()
    (folder / "runtime" / "qnnflow" / "__pycache__" / "a.pyc").write_bytes(b"pyc")
    target = write_zip(folder, tmp_path / "deploy.zip")
    names = zipfile.ZipFile(target).namelist()
    assert names == ["run.sh", "runtime/", "runtime/qnnflow/", "runtime/qnnflow/a.py"]
    mode = zipfile.ZipFile(target).getinfo("run.sh").external_attr >> 16
    assert mode & 0o777 == 0o755
