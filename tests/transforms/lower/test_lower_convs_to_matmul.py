"""qonnx's LowerConvsToMatMul on streamlined Brevitas nets: Im2Col + MatMul, integer weight
datatypes kept, bit-exact."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.transformation.lower_convs_to_matmul import LowerConvsToMatMul

from qnnflow.transforms.streamline import Streamline
from qnnflow.verify import verified_transform
from tests.brevitas_models import SPECS, random_pixels
from tests.transforms.streamline.graphs import op_types


@pytest.mark.parametrize("name", sorted(SPECS))
def test_convs_become_im2col_matmul_with_integer_weights(brevitas_qonnx, name):
    model = brevitas_qonnx(name).transform(Streamline(input_datatype="UINT8"))
    conv_dtypes = [
        model.get_tensor_datatype(n.input[1]) for n in model.graph.node if n.op_type == "Conv"
    ]
    size = SPECS[name].size
    x = {model.graph.input[0].name: random_pixels((1, 3, size, size), 6)}
    lowered = verified_transform(model, LowerConvsToMatMul(), x)
    assert "Conv" not in op_types(lowered)
    matmuls = [n for n in lowered.graph.node if n.op_type == "MatMul"]
    assert [lowered.get_tensor_datatype(n.input[1]) for n in matmuls] == conv_dtypes
    for node in matmuls:
        w = lowered.get_initializer(node.input[1])
        assert w.ndim == 2 and np.array_equal(w, np.round(w))
