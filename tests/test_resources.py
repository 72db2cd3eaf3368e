"""qnnflow.resources: every data folder is found through the package (in this checkout via
src/qnnflow/share/ links to the top-level folders) and a broken install is one clear line."""

from __future__ import annotations

import pytest

from qnnflow import resources
from qnnflow.errors import QnnflowError
from tests.conftest import REPO_ROOT

TOP_LEVEL = {
    "hls": "hls",
    "rtl": "rtl",
    "boards": "boards",
    "notebooks": "notebooks",
    "models": "data/models",
}


@pytest.mark.parametrize("name", sorted(resources.MARKERS))
def test_each_folder_is_the_checkout_folder(name):
    path = resources.data_dir(name)
    assert (path / resources.MARKERS[name]).is_file()
    assert path == (REPO_ROOT / TOP_LEVEL[name]).resolve()


def test_named_accessors_and_default_model():
    assert resources.hls_dir() == resources.data_dir("hls")
    assert resources.rtl_dir() == resources.data_dir("rtl")
    assert resources.boards_dir() == resources.data_dir("boards")
    assert resources.notebooks_dir() == resources.data_dir("notebooks")
    assert resources.default_model() == resources.models_dir() / "tinier-yolo-mini.cfg"


def test_unknown_and_incomplete_data_are_one_line(monkeypatch, tmp_path):
    with pytest.raises(QnnflowError, match="unknown package data 'fonts' .known: hls, rtl, boards"):
        resources.data_dir("fonts")
    (tmp_path / "hls").mkdir()
    monkeypatch.setattr(resources, "share_dir", lambda: tmp_path)
    with pytest.raises(QnnflowError, match=r"incomplete: .*hls/qnnflow/compat\.hpp is missing"):
        resources.hls_dir()
