"""--verify: fast, full and off build the same model (checks never change it); off is
recorded in verify.json and build_state.json; profile.json has one row per checked group
(fast) or per applied group (off, no check seconds); a broken fold transform still fails the fast
build, named with its node and the size it was checked at; (slow, CI's golden run) the
default model with --verify full, every transform at full size, as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow import fold_step as fold_module
from qnnflow.flow.profile_file import load_profile
from qnnflow.ops.graph_queries import hw_nodes
from qnnflow.transforms.fold import InsertWidthConverters
from tests.flow.micro import micro_config, micro_model

FOLD_GROUP = "AutoFold + InsertWidthConverters + InsertFIFOs"
DEFAULT_MODEL = Path(__file__).parents[2] / "data" / "models" / "tinier-yolo-mini.cfg"


class BrokenWidthConverters(InsertWidthConverters):
    """Wrong: after inserting the converters, channel 0's thresholds of the last layer with
    thresholds drop by 1000, so that channel always reaches its top code."""

    def apply(self, model):
        model, changed = super().apply(model)
        layers = [n for n in hw_nodes(model) if n.op_type == "MatrixVectorUnit"]
        node = [n for n in layers if len(n.input) > 2][-1]
        t = model.get_initializer(node.input[2]).copy()
        t[0] -= 1000
        model.set_initializer(node.input[2], t)
        return model, changed


@pytest.fixture(scope="module")
def micro(tmp_path_factory) -> Path:
    return micro_model(tmp_path_factory.mktemp("modes") / "m")


def test_fast_and_off_build_the_same_model_and_off_is_recorded(micro, tmp_path):
    fast = run_build(micro_config(micro, tmp_path / "fast", to_step="fold")).output_dir
    off = run_build(micro_config(micro, tmp_path / "off", to_step="fold", verify="off"))
    out = off.output_dir
    assert (fast / "08_fold.onnx").read_bytes() == (out / "08_fold.onnx").read_bytes()
    assert json.loads((out / "build_state.json").read_text())["verify"] == "off"
    record = json.loads((out / "verify" / "verify.json").read_text())
    assert (record["mode"], record["passed"], record["inputs"]) == ("off", None, [])
    checked = json.loads((fast / "verify" / "verify.json").read_text())
    assert checked["passed"] and checked["checked_at"] == "12x12 instead of 32x32"
    golden = np.load(out / "verify" / "input.npy")
    assert golden.shape == (1, 3, 32, 32)  # the golden stays full size
    for folder, checked_s in ((fast, lambda s: s > 0), (out, lambda s: s == 0)):
        rows = load_profile(folder)["fold"]["transforms"]  # one row for the chosen folding
        assert [r["transform"] for r in rows] == [FOLD_GROUP], folder
        assert rows[0]["transform_s"] > 0 and checked_s(rows[0]["check_s"]), folder


def test_a_broken_fold_transform_fails_the_fast_build(micro, tmp_path, monkeypatch):
    monkeypatch.setattr(fold_module, "InsertWidthConverters", BrokenWidthConverters)
    with pytest.raises(QnnflowError) as caught:
        run_build(micro_config(micro, tmp_path, to_step="fold"))
    text = str(caught.value)
    assert text.startswith("step 'fold': BrokenWidthConverters changed the result on ")
    assert "first differing node MatrixVectorUnit" in text
    assert text.endswith("(at 12x12 instead of 32x32)")


def test_off_lets_the_broken_transform_through(micro, tmp_path, monkeypatch):
    monkeypatch.setattr(fold_module, "InsertWidthConverters", BrokenWidthConverters)
    result = run_build(micro_config(micro, tmp_path, to_step="fold", verify="off"))
    assert result.ran[-1] == "fold"


@pytest.mark.slow  # CI's golden run (make test-golden): every transform at full size
def test_default_model_with_verify_full_builds_what_fast_builds(tmp_path):
    built = {}
    for mode in ("full", "fast"):
        cfg = BuildConfig(model=DEFAULT_MODEL, output_root=tmp_path / mode, to_step="fold")
        cfg.verify = mode
        built[mode] = (run_build(cfg).output_dir / "08_fold.onnx").read_bytes()
        record = json.loads((cfg.output_dir / "verify" / "verify.json").read_text())
        assert record["passed"] and record["mode"] == mode
    assert built["full"] == built["fast"]
