"""Tensor names are a function of the graph: no transform, ours or qonnx's, draws them at
random, so two builds of one model are byte-identical."""

from __future__ import annotations

import re

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.batchnorm_to_affine import BatchNormToAffine
from qonnx.transformation.general import GiveUniqueParameterTensors
from qonnx.util.basic import qonnx_make_model
from qonnx.util.cleanup import cleanup_model

import qnnflow.flow  # noqa: F401  (installs the deterministic names, as every build does)
from qnnflow.util.names import graph_names, new_tensor_name
from tests.conftest import REPO_ROOT


def _model(shared_weight: bool = False) -> ModelWrapper:
    """x -> BatchNorm -> Mul(w) -> Mul(w') -> y, with w' the same initializer as w if asked."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 3])
    nodes = [
        helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["bn"], name="bn"),
        helper.make_node("Mul", ["bn", "w"], ["h"], name="mul0"),
        helper.make_node("Mul", ["h", "w" if shared_weight else "w2"], ["y"], name="mul1"),
    ]
    model = ModelWrapper(qonnx_make_model(helper.make_graph(nodes, "g", [x], [y])))
    rng = np.random.default_rng(0)
    for name in ("g", "b", "m", "v", "w", "w2"):
        model.set_initializer(name, rng.uniform(0.5, 1.5, size=2).astype(np.float32))
    return model


def test_new_tensor_name_counts_up_past_every_kind_of_name():
    model = _model()
    assert new_tensor_name(model, "fresh") == "fresh"
    assert new_tensor_name(model, "g") == "g_1"  # an initializer
    assert new_tensor_name(model, "h") == "h_1"  # a node output without value_info
    model.set_initializer("h_1", np.zeros(1, dtype=np.float32))
    assert new_tensor_name(model, "h") == "h_2"
    assert {"x", "y", "bn", "h", "g"} <= graph_names(model)


def test_qonnx_transforms_name_new_tensors_the_same_way_every_time():
    runs = [_model().transform(BatchNormToAffine()) for _ in range(2)]
    assert runs[0].model.SerializeToString() == runs[1].model.SerializeToString()
    made = graph_names(runs[0]) - graph_names(_model())
    assert made and all(re.fullmatch(r"qonnx_tensor(_\d+)?", n) for n in made), made
    shared = [_model(True).transform(GiveUniqueParameterTensors()) for _ in range(2)]
    assert shared[0].model.SerializeToString() == shared[1].model.SerializeToString()
    assert shared[0].graph.node[2].input[1] == "qonnx_tensor"  # the second use got its own copy


def test_qonnx_cleanup_renaming_everything_to_tensor_n_does_not_collide():
    """qonnx's cleanup_model copies a shared weight, then renames all tensors to
    `tensor_<n>` (GiveUniqueTensorNames): the copies' names must stay clear of that scheme."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    chain = ["x", "a", "b", "c", "y"]
    nodes = [helper.make_node("Mul", [chain[i], "w"], [chain[i + 1]]) for i in range(4)]
    model = ModelWrapper(qonnx_make_model(helper.make_graph(nodes, "g", [x], [y])))
    model.set_initializer("w", np.full((1, 4), 2.0, dtype=np.float32))
    cleaned = cleanup_model(model)
    assert {f"Mul_{i}_param0" for i in range(4)} <= graph_names(cleaned)  # w and 3 copies


def test_no_source_asks_for_a_random_name():
    """The grep guard: qonnx's random namers are never called from our code (not the
    packages in benchmarks/.venv-finn, which the finn-plus benchmark creates)."""
    pattern = re.compile(r"make_new_valueinfo_name\(|random_string\(|GiveRandomTensorNames")
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for folder in ("src", "flows", "benchmarks")
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if not any(part.startswith(".venv") for part in path.relative_to(REPO_ROOT).parts)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []
