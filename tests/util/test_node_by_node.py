"""Node-by-node execution (the C++ simulation's numpy side) equals qonnx's execute_onnx on
FINN's CNV-W1A2 Brevitas export (shrunk) and keeps only the tensors a later node still reads."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.cleanup import cleanup_model

from qnnflow.errors import QnnflowError
from qnnflow.util.node_by_node import NodeByNode


@pytest.fixture(scope="module")
def cnv(tmp_path_factory) -> ModelWrapper:
    pytest.importorskip("brevitas_examples")
    from tests.finn_networks import export, small_network

    path = export(*small_network("cnv", "1w2a"), tmp_path_factory.mktemp("cnv") / "cnv.onnx")
    return cleanup_model(ModelWrapper(str(path))).transform(InferShapes())


def test_equals_execute_onnx_and_drops_consumed_tensors(cnv):
    name = cnv.graph.input[0].name
    x = np.random.default_rng(0).uniform(-1, 1, cnv.get_tensor_shape(name)).astype(np.float32)
    expected = execute_onnx(cnv, {name: x})
    run = NodeByNode(cnv, {name: x})
    initializers = {t.name for t in cnv.graph.initializer}
    outputs = {o.name for o in cnv.graph.output}
    for index, node in enumerate(cnv.graph.node):
        run.run()
        later = {t for n in cnv.graph.node[index + 1 :] for t in n.input}
        live = {t for t in run.context if t and t not in initializers and t != name}
        assert live <= later | outputs, f"after {node.name}: {sorted(live - later - outputs)}"
        assert node.output[0] in live
    result = run.context
    for out in outputs:
        np.testing.assert_array_equal(result[out], expected[out])


def test_nodes_run_in_graph_order_only(cnv):
    run = NodeByNode(cnv, {cnv.graph.input[0].name: np.zeros((1, 3, 32, 32), np.float32)})
    with pytest.raises(QnnflowError, match="run out of order"):
        run.consumed(cnv.graph.node[1])


def test_a_graph_without_shapes_is_refused(cnv):
    bare = ModelWrapper(cnv.model.__deepcopy__())
    del bare.graph.value_info[:]
    with pytest.raises(QnnflowError, match="tensors without shapes"):
        NodeByNode(bare, {})
