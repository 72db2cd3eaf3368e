"""Behind a DDR-streamed MVU the frame is channel-group-major: applying a folding shrinks
the words of the ops there to divide C/G, keeps the results, and leaves other ops alone."""

from __future__ import annotations

import numpy as np

from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold import ApplyFoldingConfig
from tests.transforms.fold.test_folding import run, small_params


def test_words_in_group_major_region_divide_the_groups():
    model = hidden_layers_model(small_params())
    before = run(model)
    config = {
        "conv2_mvu": {"PE": 2, "SIMD": 16, "mem_mode": "stream_ddr"},  # 32 channels, G = 16
        "conv2_pool": {"PE": 8},
        "conv3_pad": {"SIMD": 16},
        "conv3_swg": {"SIMD": 16},
        "conv3_mvu": {"PE": 4, "SIMD": 16},
        "conv1_pool": {"PE": 8},  # normal order: untouched
    }
    folded = model.transform(ApplyFoldingConfig(config))
    attrs = {n.name: hw_op(n) for n in hw_nodes(folded)}
    assert attrs["conv2_pool"].get_nodeattr("PE") == 2  # gcd(8, 32 / 16)
    assert attrs["conv3_pad"].get_nodeattr("SIMD") == 2
    assert attrs["conv3_swg"].get_nodeattr("inputSIMD") == 2
    assert attrs["conv3_swg"].get_nodeattr("SIMD") == 16  # output words keep the MVU's SIMD
    assert attrs["conv3_swg"].get_nodeattr("frameBuffer") == 1
    assert attrs["conv1_pool"].get_nodeattr("PE") == 8
    np.testing.assert_array_equal(run(folded), before)
