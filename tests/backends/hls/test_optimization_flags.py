"""g++'s optimisation level follows the simulation's work (qnnflow.backends.hls.gpp
optimization_flags): a short simulation compiles with -Og, a long one with -O2, and both
binaries give the same streams and cycle counts, bit for bit."""

from __future__ import annotations

import numpy as np

from qnnflow.backends.hls import gpp, network_sim
from qnnflow.backends.hls.network import hardware_region
from qnnflow.backends.hls.network_sim import simulate_network, simulated_cycles
from qnnflow.flow.verify_step import seeded_input
from qnnflow.util.node_by_node import NodeByNode
from tests.backends.hls.test_cppsim_gate import two_layers


def test_short_work_compiles_quickly_long_or_unknown_work_with_o2():
    assert gpp.optimization_flags(1) == ("-Og",)
    assert gpp.optimization_flags(gpp.QUICK_BUILD_MAX_CYCLES) == ("-Og",)
    assert gpp.optimization_flags(gpp.QUICK_BUILD_MAX_CYCLES + 1) == ()
    assert gpp.optimization_flags(None) == ()
    assert "-O2" in gpp.CXXFLAGS  # what () keeps


def test_og_and_o2_binaries_simulate_the_same(tmp_path, monkeypatch):
    model = two_layers()
    region = hardware_region(model)
    host = NodeByNode(model, {model.graph.input[0].name: seeded_input(model, 0)})
    host.run_until(region[0])
    first = host.context[region[0].input[0]]
    dtype = model.get_tensor_datatype(region[0].input[0])
    low, high = np.full_like(first, dtype.min()), np.full_like(first, dtype.max())
    frames = np.concatenate([first, low, high])  # random, the edges
    assert simulated_cycles(model) * len(frames) <= gpp.QUICK_BUILD_MAX_CYCLES

    flags_seen = []
    real = network_sim.compile_program

    def spy(files, main, cache_dir=None, flags=(), timeout_s=None):
        flags_seen.append(tuple(flags))
        return real(files, main, cache_dir, flags, timeout_s)

    monkeypatch.setattr(network_sim, "compile_program", spy)
    quick = simulate_network(model, frames, cache_dir=tmp_path)
    monkeypatch.setattr(gpp, "QUICK_BUILD_MAX_CYCLES", 0)
    full = simulate_network(model, frames, cache_dir=tmp_path)
    assert flags_seen == [("-Og",), ()]
    assert len(list(tmp_path.iterdir())) == 2  # two binaries: the flags are in the cache key
    assert quick.cycles == full.cycles and quick.outputs.keys() == full.outputs.keys()
    for tensor in full.outputs:
        np.testing.assert_array_equal(quick.outputs[tensor], full.outputs[tensor])
