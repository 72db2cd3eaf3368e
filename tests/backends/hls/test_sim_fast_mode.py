"""The C++ simulation's fast mode (values only: no cycle counting, the functional MVU of
hls/qnnflow/mvu_sim.hpp for one-bit weights) against its cycle mode and numpy, bit-exactly:
bipolar weights on unsigned, signed, 1-bit and 8-bit inputs, XNOR with and without
thresholds, wider weights (which fall back to the cycle kernel), on-chip and DDR-streamed
weights, SIMD that does not divide 64 (planes straddling limbs), odd sizes, random and edge
frames; a small network whose SlidingWindow replays windows into a DDR-streamed MVU; and
the simulation-only bit helpers against Python integers."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls import gpp
from qnnflow.backends.hls.gpp import compile_program, run_program
from qnnflow.backends.hls.network_sim import first_mismatch, simulate_network
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.transforms.fold import ApplyFoldingConfig, InsertFIFOs, InsertWidthConverters
from tests.backends.hls.test_mvu_cpp import (
    edge_frames,
    mvu_model,
    random_weights,
    simulate,
    sorted_thresholds,
)
from tests.backends.hls.test_xnor_mvu_cpp import bipolar_frames, on_the_popcounts
from tests.ops.helpers import op_of, run
from tests.transforms.fold.test_folding import small_params


def check_modes(model, x: np.ndarray) -> np.ndarray:
    """numpy == cycle mode == fast mode; the cycle mode still counts the op's cycles."""
    expected = np.stack([run(model, frame) for frame in x]).reshape(x.shape[0], -1)
    cycle_out, cycles = simulate(model, x)
    fast_out, fast_cycles = simulate(model, x, fast=True)
    np.testing.assert_array_equal(cycle_out, expected)
    np.testing.assert_array_equal(fast_out, expected)
    assert cycles == op_of(model).cycles()
    assert fast_cycles is None
    return expected


@pytest.mark.parametrize(
    "mw,mh,pe,simd,idt,mem_mode",
    [
        (12, 6, 2, 3, "UINT3", "internal"),  # SIMD 3: 21-element windows split words
        (45, 9, 3, 9, "INT4", "stream_ddr"),  # signed inputs: a negative sign plane
        (140, 4, 2, 70, "UINT2", "stream_ddr"),  # 70 lanes: a full limb and a tail of 6
        (128, 4, 4, 64, "UINT8", "internal"),  # whole limbs, 8 planes
        (30, 5, 5, 10, "BINARY", "internal"),  # one plane: 64 elements per window
        (35, 3, 1, 7, "UINT5", "stream_ddr"),  # 5-bit elements: 12 per 60-bit window
    ],
)
def test_bipolar_weights_with_thresholds(mw, mh, pe, simd, idt, mem_mode):
    rng = np.random.default_rng(mw * 31 + simd)
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = edge_frames(rng, idt, 4, mw)
    acc = x[0, 0].astype(np.int64) @ w
    t = np.sort(np.concatenate([acc[:3].T, sorted_thresholds(rng, mh, 4, mw)], axis=1), axis=1)
    model = mvu_model(mw, mh, pe, simd, 4, "BIPOLAR", idt, "UINT3", w, t, mem_mode=mem_mode)
    check_modes(model, x)


@pytest.mark.parametrize("mem_mode", ["internal", "stream_ddr"])
def test_bipolar_weights_accumulator_output(mem_mode):
    rng = np.random.default_rng(4)
    w = random_weights(rng, "BIPOLAR", 24, 6)
    model = mvu_model(24, 6, 3, 8, 3, "BIPOLAR", "INT3", "INT8", w, mem_mode=mem_mode)
    out = check_modes(model, edge_frames(rng, "INT3", 3, 24))
    assert out.min() == -96 and out.max() == 96  # the all-minimum column on all-minimum x


@pytest.mark.parametrize("mem_mode", ["internal", "stream_ddr"])
def test_xnor_with_and_without_thresholds(mem_mode):
    rng = np.random.default_rng(9)
    mw, mh = 70, 6
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, 3, mw)
    t = on_the_popcounts(rng, x, w, 2)
    model = mvu_model(mw, mh, 3, 35, 3, "BIPOLAR", "BIPOLAR", "UINT2", w, t, mem_mode=mem_mode)
    check_modes(model, x)
    dot = mvu_model(mw, mh, 2, 14, 3, "BIPOLAR", "BIPOLAR", "INT8", w, mem_mode=mem_mode)
    out = check_modes(dot, x)
    assert out.min() == -mw and out.max() == mw


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 target flags"
)
def test_portable_path_without_pext_and_popcnt(monkeypatch):
    """The shortcuts' fallbacks (a CPU without BMI2 / POPCNT, or the board's ARM)."""
    monkeypatch.setattr(gpp, "NATIVE_FLAGS", ("-march=native", "-mno-bmi2", "-mno-popcnt"))
    rng = np.random.default_rng(12)
    w = random_weights(rng, "BIPOLAR", 45, 6)
    x = edge_frames(rng, "INT3", 3, 45)
    t = sorted_thresholds(rng, 6, 3, 60)
    model = mvu_model(45, 6, 3, 9, 3, "BIPOLAR", "INT3", "UINT2", w, t, mem_mode="stream_ddr")
    check_modes(model, x)


def test_multibit_weights_fall_back_to_the_cycle_kernel():
    rng = np.random.default_rng(2)
    w = random_weights(rng, "INT3", 15, 6)
    model = mvu_model(15, 6, 3, 5, 3, "INT3", "UINT3", "INT10", w, mem_mode="stream_ddr")
    check_modes(model, edge_frames(rng, "UINT3", 3, 15))


@pytest.fixture(scope="module")
def replaying() -> ModelWrapper:
    """Three binary convs; conv3 streams its weights from DDR with PE=4 of 8 channels, so
    its SlidingWindow sends every window twice; SIMD 3 and 6 do not divide 64."""
    model = hidden_layers_model(small_params(channels=(6, 6, 8, 8), size=8, seed=3))
    config = {
        "conv1_mvu": {"SIMD": 3, "PE": 3},
        "conv3_mvu": {"mem_mode": "stream_ddr", "PE": 4, "SIMD": 6},
    }
    model = model.transform(ApplyFoldingConfig(config))
    return model.transform(InsertWidthConverters()).transform(InsertFIFOs())


def network_inputs(model: ModelWrapper) -> np.ndarray:
    """Random codes, all zeros, all the maximum code: [frames, H, W, C] (the graph input)."""
    shape = model.get_tensor_shape(model.graph.input[0].name)
    x = np.random.default_rng(0).integers(0, 8, size=(3, *shape[1:]))
    x[1], x[2] = 0, 7
    return x


def test_network_fast_mode_equals_the_cycle_mode(replaying):
    x = network_inputs(replaying)
    cycle = simulate_network(replaying, x)
    fast = simulate_network(replaying, x, fast=True)
    for tensor, value in cycle.outputs.items():
        np.testing.assert_array_equal(fast.outputs[tensor], value)
    assert fast.cycles == {} and set(cycle.cycles) == set(fast.layer_seconds)
    mismatch, result = first_mismatch(replaying, x[:1].astype(np.float32), fast=True)
    assert mismatch is None and result.cycles == {}


BITS_PROGRAM = r"""
#include <cstdio>
#include "qnnflow/sim_bits.hpp"
using namespace qnnflow;
template <int N>
void print(const ap_uint<N> &value) {
    for (int i = 0; i < (N + 63) / 64; i++) {
        std::printf(" %llu", (unsigned long long)limb64(value, i));
    }
}
// Fields of 1..200 bits at offsets straddling limbs, through every helper; prints each
// result's limbs (the test recomputes them with Python integers).
template <int B, int W>
void fields(unsigned shift, uint64_t seed) {
    ap_uint<W> word;
    for (unsigned i = 0; i < (W + 63) / 64; i++) word.V.get_pVal(i) = seed * (i + 7) ^ (seed >> 3);
    word.V.clearUnusedBits();
    ap_uint<B> field;
    for (unsigned i = 0; i < (B + 63) / 64; i++) field.V.get_pVal(i) = ~seed * (i + 3);
    field.V.clearUnusedBits();
    const ap_uint<B> got = get_bits<B>(word, shift);
    ap_uint<W> set = word;
    set_bits<B>(set, shift, field);
    sim::bit_array<W> flat{};
    flat.put(0, word);
    flat.put(shift, field);
    sim::word_builder<W> built;
    built.push(ap_uint<W - B>(word));
    built.push(field);
    std::printf("%d %d %u", B, W, shift);
    print(word);
    print(field);
    print(got);
    print(set);
    print(flat.template get<W>(0));
    print(built.word());
    std::printf("\n");
}
int main() {
    fields<1, 6>(5, 0x9e3779b97f4a7c15ULL);
    fields<3, 48>(45, 0x243f6a8885a308d3ULL);
    fields<6, 384>(60, 0x13198a2e03707344ULL);
    fields<64, 200>(100, 0xa4093822299f31d0ULL);
    fields<128, 256>(64, 0x082efa98ec4e6c89ULL);
    fields<130, 384>(190, 0x452821e638d01377ULL);
    fields<200, 264>(63, 0xbe5466cf34e90c6cULL);
    return 0;
}
"""


def limbs(value: int, bits: int) -> list[int]:
    return [(value >> (64 * i)) & (2**64 - 1) for i in range(-(-bits // 64))]


def join(parts: list[int]) -> int:
    return sum(p << (64 * i) for i, p in enumerate(parts))


def test_simulation_bit_helpers_equal_python_integers(tmp_path):
    """get_bits / set_bits (limb-wise in the simulation), bit_array and word_builder."""
    exe = compile_program({"main.cpp": BITS_PROGRAM}, "main.cpp", tmp_path)
    lines = run_program(exe, [], tmp_path).splitlines()
    assert len(lines) == 7
    for line in lines:
        b, w, shift, *rest = map(int, line.split())
        nw, nb = -(-w // 64), -(-b // 64)
        word, field = join(rest[:nw]), join(rest[nw : nw + nb])
        got, rest = rest[nw + nb : nw + 2 * nb], rest[nw + 2 * nb :]
        set_, flat, built = rest[:nw], rest[nw : 2 * nw], rest[2 * nw :]
        mask = (1 << b) - 1
        assert join(got) == (word >> shift) & mask, line
        expected = (word & ~(mask << shift) | field << shift) & ((1 << w) - 1)
        assert set_ == limbs(expected, w), line
        assert flat == limbs(expected, w), line
        low = word & ((1 << (w - b)) - 1)
        assert built == limbs(low | field << (w - b), w), line


def test_frames_split_among_processes_give_the_same_result(replaying):
    x = network_inputs(replaying)
    one = simulate_network(replaying, x)
    two = simulate_network(replaying, x, workers=2)
    fast = simulate_network(replaying, x, fast=True, workers=3)
    for tensor, value in one.outputs.items():
        np.testing.assert_array_equal(two.outputs[tensor], value)
        np.testing.assert_array_equal(fast.outputs[tensor], value)
    assert two.cycles == one.cycles and fast.cycles == {}
    assert set(two.layer_seconds) == set(one.layer_seconds)
