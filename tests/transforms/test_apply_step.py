"""The composites' shortcut (transforms.apply_step: no copy, cleanup only after a change)
gives the graph qonnx's plain `model.transform` gives, byte for byte, on the default model,
a two-headed leaky YOLO and FINN's TFC/CNV; and it still cleans up after a change."""

from __future__ import annotations

import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

import qnnflow.transforms.streamline as streamline_module
import qnnflow.transforms.to_hw as to_hw_module
from qnnflow.flow import BuildConfig, run_build
from qnnflow.resources import default_model
from qnnflow.transforms.apply_step import apply_step, structure
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from tests.flow.two_heads import two_heads_config, two_heads_model


def _plain(model: ModelWrapper, transform: Transformation, copy: bool) -> ModelWrapper:
    return model.transform(transform)


def _quantized(cfg: BuildConfig) -> ModelWrapper:
    result = run_build(cfg)
    return ModelWrapper(str(result.output_dir / "04_quantize.onnx"))


def _both_ways(model: ModelWrapper, monkeypatch) -> None:
    """Streamline then ConvertToHW, with the shortcut and with qonnx's plain transform."""
    fast = model.transform(Streamline())
    fast_hw = fast.transform(ConvertToHW())
    with monkeypatch.context() as patch:
        patch.setattr(streamline_module, "apply_step", _plain)
        patch.setattr(to_hw_module, "apply_step", _plain)
        plain = model.transform(Streamline())
        plain_hw = plain.transform(ConvertToHW())
    assert fast.model.SerializeToString() == plain.model.SerializeToString()
    assert fast_hw.model.SerializeToString() == plain_hw.model.SerializeToString()


def test_default_model(tmp_path, monkeypatch):
    cfg = BuildConfig(model=default_model(), output_root=tmp_path, to_step="quantize", verify="off")
    _both_ways(_quantized(cfg), monkeypatch)


def test_two_heads_leaky(tmp_path, monkeypatch):
    cfg = two_heads_config(two_heads_model(tmp_path), tmp_path, to_step="quantize", verify="off")
    _both_ways(_quantized(cfg), monkeypatch)


@pytest.mark.parametrize("net", ["tfc", "cnv"])
def test_finn_networks(net, tmp_path, monkeypatch):
    pytest.importorskip("brevitas_examples")
    from tests.finn_networks import export, small_network

    module, shape = small_network(net, "1w2a")
    onnx_path = export(module, shape, tmp_path / f"{net}.onnx")
    cfg = BuildConfig(model=onnx_path, output_root=tmp_path, to_step="quantize", verify="off")
    _both_ways(_quantized(cfg), monkeypatch)


def test_a_change_is_cleaned_up_and_no_change_is_free(tmp_path):
    cfg = BuildConfig(model=default_model(), output_root=tmp_path, to_step="quantize", verify="off")
    model = _quantized(cfg)

    class Nothing(Transformation):
        def apply(self, model):
            return model, False

    class Orphan(Transformation):  # leaves an unused initializer: the cleanup removes it
        def apply(self, model):
            model.set_initializer("orphan", model.get_initializer(model.graph.initializer[0].name))
            return model, False

    same = apply_step(model, Nothing(), copy=True)
    assert structure(same) == structure(model)
    cleaned = apply_step(model, Orphan(), copy=True)
    assert "orphan" not in {t.name for t in cleaned.graph.initializer}
    assert "orphan" not in {t.name for t in model.graph.initializer}  # copy=True: untouched
