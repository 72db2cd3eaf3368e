"""Build qnnflow's wheel from a copy of the checkout (so setuptools' build/ and egg-info never
land in the repository) and list what it carries."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT

# what a wheel is built from: the project files and the data folders src/qnnflow/share links
SOURCES = ("pyproject.toml", "README.md", "src", "hls", "rtl", "boards", "notebooks", "data/models")
# (checkout folder, its place in the wheel, the files that must travel)
DATA = (
    ("hls", "qnnflow/share/hls", "**/*"),
    ("rtl", "qnnflow/share/rtl", "**/*"),
    ("boards", "qnnflow/share/boards", "**/*"),
    ("notebooks", "qnnflow/share/notebooks", "*.ipynb"),
    ("data/models", "qnnflow/share/models", "**/*"),
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def build_wheel(work: Path, timeout: float = 300) -> Path:
    """`pip wheel --no-deps --no-build-isolation` of a copy of the checkout; the wheel path."""
    src = work / "src-copy"
    for name in SOURCES:
        origin = REPO_ROOT / name
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy2(origin, target)
    dist = work / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-cache-dir", "-q", "-w", str(dist), str(src)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = dist.glob("qnnflow-*.whl")
    return wheel


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def expected_data_files() -> set[str]:
    """Every data file of the checkout, named as the wheel must hold it."""
    names = set()
    for folder, inside, pattern in DATA:
        root = REPO_ROOT / folder
        for path in root.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                names.add(f"{inside}/{path.relative_to(root).as_posix()}")
    return names
