"""Class names travel with a Darknet model: `<cfg stem>.names` beside the cfg lands in the
heads metadata (what the deployment package and the notebook print); a wrong count is one
line naming the file."""

from __future__ import annotations

import json
import shutil

import pytest

from qnnflow.data.shapes import CLASS_NAMES
from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import HEADS_KEY, import_darknet
from qnnflow.frontend.darknet.names import names_path, read_names


def _heads(model) -> list[dict]:
    return json.loads(model.get_metadata_prop(HEADS_KEY))


def test_default_model_names_are_the_shapes_classes(default_cfg):
    assert read_names(names_path(default_cfg)) == list(CLASS_NAMES)
    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"))
    assert [h["names"] for h in _heads(model)] == [list(CLASS_NAMES)]


def test_names_are_optional_and_checked(default_cfg, tmp_path):
    cfg = tmp_path / "m.cfg"
    shutil.copy2(default_cfg, cfg)
    weights = default_cfg.with_suffix(".weights")
    assert "names" not in _heads(import_darknet(cfg, weights))[0]
    (tmp_path / "m.names").write_text("a\n\n b \nc\nd\n")
    assert _heads(import_darknet(cfg, weights))[0]["names"] == ["a", "b", "c", "d"]
    (tmp_path / "m.names").write_text("a\nb\n")
    with pytest.raises(QnnflowError, match=r"m\.names: 2 class names, but the cfg's \[region\]"):
        import_darknet(cfg, weights)
