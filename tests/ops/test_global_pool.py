"""GlobalAccPool answers the op contract: shapes, sum type, cycles, resources, folding
choices, output channel groups, numpy execution and clear folding errors."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.ops import FoldingError
from qnnflow.ops.global_pool import pool_sum_type
from tests.backends.hls.test_global_pool_cpp import pool_model
from tests.ops.helpers import op_of, run


def test_global_acc_pool_answers_the_op_contract():
    model = pool_model(3, 5, 6, "UINT4", pe=3).transform(InferDataTypes())
    assert model.get_tensor_shape("y") == [1, 1, 1, 6]
    assert (
        model.get_tensor_datatype("y") == DataType["UINT8"] == pool_sum_type(DataType["UINT4"], 15)
    )  # 15 * 15 = 225
    assert pool_sum_type(DataType["INT4"], 16) == DataType["INT8"]  # [-128, 112]
    assert pool_sum_type(DataType["BIPOLAR"], 9) == DataType["INT5"]
    op = op_of(model)
    op.check_folding()
    assert op.cycles() == 3 * 5 * 6 // 3 == op.words_per_frame()
    assert op.fill_words() == op.words_per_frame()  # a sum leaves after the last pixel
    assert op.instream_width_bits() == 12 and op.outstream_width_bits() == 24
    assert op.resources()["LUTRAM"] == 24 and op.resources()["LUT"] == 20 + 24 + 24
    assert op.fold_choices() == {"PE": [1, 2, 3, 6]}
    assert op.output_channel_groups(4) == 1
    x = np.random.default_rng(0).integers(0, 16, (1, 3, 5, 6))
    np.testing.assert_array_equal(run(model, x), x.sum(axis=(1, 2), keepdims=True))
    op.set_nodeattr("PE", 4)
    with pytest.raises(FoldingError, match="GlobalAccPool 'gap': PE=4 must divide channels=6"):
        op.check_folding()
    op.set_nodeattr("PE", 1)
    op.set_nodeattr("outputDataType", "UINT7")
    with pytest.raises(FoldingError, match=r"UINT7 cannot hold sums in \[0, 225\]"):
        op.check_folding()
    op.set_nodeattr("outputDataType", "UINT8")
    with pytest.raises(FoldingError, match="input has shape"):
        op.reference(np.zeros((1, 5, 3, 6)))


def test_global_pool_sums_exactly_past_float32():
    """The hardware accumulator is exact: 2**24 + 1 + 1 is a float32, but a float32 running
    sum would stop at 2**24 (2**24 + 1 rounds back to it)."""
    model = pool_model(2, 2, 1, "UINT25")
    x = np.array([2**24, 1, 1, 0], np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(run(model, x), [[[[2**24 + 2]]]])
    out = op_of(model).reference(x)
    assert out.shape == op_of(model).normal_output_shape() == (1, 1, 1, 1)
