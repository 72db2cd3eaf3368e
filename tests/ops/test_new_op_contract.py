"""A hardware op the passes have never heard of: defined and registered in the test, it is
folded, fitted to channel groups, given FIFOs, latency and an estimate purely from what it
answers (no pass switches on op types, no list names it)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import add_op_to_domain
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.analysis.estimate import estimate_network
from qnnflow.boards import load_board
from qnnflow.ops import DOMAIN, HWOp
from qnnflow.ops.base import divisors
from qnnflow.ops.estimate import zero_resources
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import output_channel_groups
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, extract_folding_config
from qnnflow.transforms.fold.branch_latency import arrival_fractions
from qnnflow.transforms.fold.fit_group_major_words import FitGroupMajorWords
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import run


class ToyIncrement(HWOp):
    """out = x + 1 per channel, PE channels per word; cycles = pixels * C/PE."""

    FOLD_ATTRS = ("PE",)

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(NumChannels=("i", True, 0), PE=("i", False, 1), pixels=("i", True, 1))
        return attrs

    def normal_input_shape(self) -> tuple[int, ...]:
        return (1, self.get_nodeattr("pixels"), self.get_nodeattr("NumChannels"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return self.normal_input_shape()

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("PE"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.folded_input_shape()

    def check_folding(self) -> None:
        self.require_divides(
            "PE", self.get_nodeattr("PE"), "channels", self.normal_input_shape()[-1]
        )

    def fold_choices(self) -> dict[str, list]:
        return {"PE": divisors(self.get_nodeattr("NumChannels"))}

    def group_word(self) -> tuple[str, int, int] | None:
        return "PE", self.get_nodeattr("PE"), self.get_nodeattr("NumChannels")

    def fill_words(self) -> int:
        return 1

    def cycles(self) -> int:
        return self.words_per_frame()

    def resources(self) -> dict[str, float]:
        res = zero_resources()
        res["LUT"] = 10.0 * self.get_nodeattr("PE")
        return res

    def reference(self, x: np.ndarray) -> np.ndarray:
        return x + 1


add_op_to_domain(DOMAIN, ToyIncrement)


def toy_chain(channels: int = 8, pixels: int = 6) -> ModelWrapper:
    attrs = dict(domain=DOMAIN, NumChannels=channels, pixels=pixels)
    nodes = [
        helper.make_node("ToyIncrement", ["x"], ["a"], name="toy0", **attrs,
                         inputDataType="UINT3", outputDataType="UINT4"),
        helper.make_node("ToyIncrement", ["a"], ["y"], name="toy1", **attrs,
                         inputDataType="UINT4", outputDataType="UINT5"),
    ]  # fmt: skip
    shape = [1, pixels, channels]
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType["UINT3"])
    return model.transform(InferShapes())


def test_a_new_op_is_folded_plumbed_and_estimated_from_its_own_answers():
    model = toy_chain()
    x = np.random.default_rng(0).integers(0, 8, size=(1, 6, 8)).astype(np.float32)
    folded = model.transform(AutoFold(load_board("pynq_z2"))).transform(InsertFIFOs())
    assert extract_folding_config(folded) == {"toy0": {"PE": 8}, "toy1": {"PE": 8}}
    assert [n.op_type for n in hw_nodes(folded)] == [
        "ToyIncrement",
        "StreamingFIFO",
        "ToyIncrement",
    ]
    arrival = arrival_fractions(folded)
    assert arrival["a"] == (1 + 1) / 6  # its fill word, plus one, of 6 words per frame
    estimate = estimate_network(folded, load_board("pynq_z2"))
    assert [layer.cycles for layer in estimate.layers] == [6, 6, 6]
    np.testing.assert_array_equal(run(folded, x), x + 2)


def test_a_new_op_behind_a_streaming_mvu_gets_its_word_fitted():
    model = behind_mvu(toy_chain(), groups=4)
    for node in hw_nodes(model)[1:]:
        hw_op(node).set_nodeattr("PE", 8)
    fitted = model.transform(FitGroupMajorWords())
    toys = [hw_op(n) for n in hw_nodes(fitted) if n.op_type == "ToyIncrement"]
    assert [t.get_nodeattr("PE") for t in toys] == [2, 2]  # gcd(8, 8 channels / 4 groups)
    assert output_channel_groups(fitted, hw_nodes(fitted)[-1]) == 4  # passes the order on
