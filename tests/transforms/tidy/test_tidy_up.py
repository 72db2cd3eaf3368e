"""TidyUp keeps the importer's tensor names and the graph's outputs unchanged."""

from __future__ import annotations

import numpy as np

from qnnflow.frontend.darknet import import_darknet, layer_outputs
from qnnflow.transforms.tidy import TidyUp
from qnnflow.util.execute import run_onnxruntime


def test_tidy_is_equivalent_and_keeps_names(default_cfg):
    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"), (64, 64))
    tidy = model.transform(TidyUp())
    x = np.random.default_rng(1).random((1, 3, 64, 64), dtype=np.float32)
    before, after = run_onnxruntime(model, x), run_onnxruntime(tidy, x)
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    tensors = {t for n in tidy.graph.node for t in n.output}
    assert all(rec["output"] in tensors for rec in layer_outputs(tidy))
    assert all(n.name for n in tidy.graph.node)
    assert tidy.get_tensor_datatype("input").name == "FLOAT32"
