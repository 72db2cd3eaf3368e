"""FINN's CNV test networks (brevitas_examples.bnn_pynq, random init) through the checked
steps: CNV-W1A2 to to_hw on verification seeds 0-9 (its first layer quantizes 2x - 1 to
8 bits with half-to-even rounding, so random inputs land on ties), W2A2 and W1A1 through
streamline. Slow: ~1 min per build."""

from __future__ import annotations

import pytest

from qnnflow.flow import BuildConfig, run_build

pytestmark = pytest.mark.slow


def _export(name: str, directory) -> object:
    torch = pytest.importorskip("torch")
    models = pytest.importorskip("brevitas_examples.bnn_pynq.models")
    from brevitas.export import export_qonnx

    torch.manual_seed(0)
    model, _ = models.model_with_cfg(name, pretrained=False)
    model.eval()
    path = directory / f"{name}.onnx"
    export_qonnx(model, torch.randn(1, 3, 32, 32), str(path))
    return path


def test_cnv_w1a2_passes_every_check_up_to_to_hw_on_seeds_0_to_9(tmp_path):
    path = _export("cnv_1w2a", tmp_path)
    for seed in range(10):
        out = tmp_path / f"seed{seed}"
        run_build(BuildConfig(model=path, output_root=out, to_step="to_hw", seed=seed))
        assert (out / "cnv_1w2a" / "verify" / "verify.json").is_file()


@pytest.mark.parametrize("name", ["cnv_2w2a", "cnv_1w1a"])
def test_cnv_streamlines_exactly(name, tmp_path):
    path = _export(name, tmp_path)
    run_build(BuildConfig(model=path, output_root=tmp_path / "out", to_step="streamline"))
