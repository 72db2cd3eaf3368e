"""Folding fully connected MatrixVectorUnits (no window in front): legal SIMD values, the
accelerator's ports within the DMA's width, plumbing and estimates on an FC chain."""

from __future__ import annotations

from qnnflow.analysis.estimate import estimate_network
from qnnflow.backends.hls.network import build_network_code
from qnnflow.boards import load_board
from qnnflow.flow.fold_step import fold_model
from qnnflow.ops import FoldPlan
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.transforms.fold.node_costs import PORT_BITS
from qnnflow.transforms.fold.options import folding_groups, port_nodes
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.to_hw.fc_graphs import conv_flatten_fc, fc_chain


def test_fc_simd_divides_the_channels_of_the_map_it_reads():
    model = conv_flatten_fc(2, 3).transform(ConvertToHW())
    fc = hw_nodes(model)[-1]
    simds = {o[fc.name]["SIMD"] for o in hw_op(fc).fold_options(model, FoldPlan())}
    assert simds == {1, 2, 4}  # MW = 24, but each pixel brings 4 channels


def test_fc_chain_folds_with_ports_the_dma_carries():
    model = fc_chain().transform(ConvertToHW())
    assert port_nodes(model) == ({"gemm_mvu"}, {"gemm_2_mvu"})
    first = hw_nodes(model)[0]
    offered = {o[first.name]["SIMD"] for o in hw_op(first).fold_options(model, FoldPlan())}
    group = next(g for g in folding_groups(model) if g.nodes[-1].name == first.name)
    legal = {o.attrs[first.name]["SIMD"] for o in group.options}
    assert 784 in offered and legal == {s for s in offered if 2 * s <= PORT_BITS}
    folded = fold_model(model, load_board("pynq_z2"))
    mvus = [hw_op(n) for n in hw_nodes(folded) if n.op_type == "MatrixVectorUnit"]
    assert len(mvus) == 3 and mvus[0].instream_width_bits() <= PORT_BITS
    estimate = estimate_network(folded, load_board("pynq_z2"))
    assert estimate.to_dict(load_board("pynq_z2"))["fps"] > 100_000
    code = build_network_code(folded)  # stream widths agree end to end
    assert code.layers[0].inputs[0].words * code.layers[0].inputs[0].width == 784 * 2
