"""MatrixVectorUnit: integer matrix-vector products with optional fused thresholds,
folded onto PE output lanes x SIMD input lanes."""

from __future__ import annotations

import itertools
import math

import numpy as np
from qonnx.core.datatype import DataType

from qnnflow.ops.base import FoldPlan, HWOp, divisors
from qnnflow.ops.bipolar import (
    bipolar_output_problem,
    is_bipolar,
    thresholded_output,
    xnor_popcount,
)
from qnnflow.ops.estimate import bram36_for, lutram_for, zero_resources
from qnnflow.ops.graph_queries import hw_op, producer_of_class
from qnnflow.ops.kernels import matrix_vector, multithreshold_last_axis
from qnnflow.ops.mvu_multipliers import (
    RES_TYPES,
    dsp_pack_shift,
    dsp_problem,
    multiplier_style,
    multiply_add_cost,
)
from qnnflow.ops.pad import ZeroPad
from qnnflow.ops.sliding_window import SlidingWindow
from qnnflow.ops.stream_order import input_channel_groups

MAX_STREAM_BITS = 8192  # widest AXI stream Vitis HLS accepts
STREAM_WEIGHTS_MIN_BITS = 64 * 1024  # smaller matrices are never worth a DDR reader


def accumulator_range(weights: np.ndarray, in_dtype: DataType) -> tuple[int, int]:
    """The smallest and largest x.W any input of `in_dtype` can produce (weights [MW, MH])."""
    w = np.asarray(weights, dtype=np.float64)
    lo, hi = float(in_dtype.min()), float(in_dtype.max())
    ends = np.stack([w * lo, w * hi])
    return int(ends.min(axis=0).sum(axis=0).min()), int(ends.max(axis=0).sum(axis=0).max())


class MatrixVectorUnit(HWOp):
    """Inputs: x [1, ..., MW], weights [MW, MH], optional thresholds [MH, T].

    out = count(acc >= t) + ActVal with thresholds, else acc = x.W. BIPOLAR output: one
    threshold, out = 2*count - 1. XNOR mode (BIPOLAR x and weights, qnnflow.ops.bipolar):
    acc is the popcount p of XNOR(x bits, w bits), so the thresholds are popcount thresholds
    (x.W = 2p - MW); without thresholds the output is x.W itself. Tensors hold -1/+1.

    cycles = prod(numInputVectors) * (MW/SIMD) * (MH/PE).
    Weights on chip (mem_mode internal): MW*MH/(PE*SIMD) words of PE*SIMD*wbits bits, in
    BRAM36 (ram_style block, or auto when deeper than 128 words) else LUTRAM. Thresholds:
    MH*T*acc_bits bits of LUTRAM.
    LUT = 100 + MAC + PE*(acc + T*ceil(acc/2)) + LUTRAM, FF = 100 + PE*(SIMD*abits + 2*acc).
    MAC, the multipliers and adder trees, follows resType (qnnflow.ops.mvu_multipliers):
    "lut": PE*SIMD*(wbits*abits + acc) (abits for bipolar weights: a conditional negate,
    no multiplier; such layers refuse "dsp"); "dsp": a DSP48E1 per product and the adder
    tree in fabric, PE*SIMD*acc LUTs, or, when two products sharing an activation fit one
    DSP48E1 (the packing rule there; guard bits from SIMD), SIMD*ceil(PE/2) DSPs; operands
    wider than the 25 x 18 multiplier refuse "dsp". "auto": dsp when both operands exceed
    4 bits, else lut. The C++ is the same for all (bit-exact); the renderer binds the
    multiply (BIND_OP impl=dsp|fabric) and packs lane pairs when the estimate does.
    XNOR mode: acc = ceil(log2(MW + 1)) bits (an unsigned popcount); per lane SIMD XNOR LUTs
    and a popcount tree of about SIMD LUTs (LUT6 compressors) replace the multiply-adds:
    LUT = 100 + PE*(2*SIMD + acc + T*ceil(acc/2)) + LUTRAM, FF = 100 + PE*(SIMD + 2*acc).

    mem_mode stream_ddr (for big weight matrices on small feature maps): the loop order is
    output-channel group -> pixel -> input fold, so each PE x MW weight slice is read from
    DDR once per frame and reused for every pixel (MW*MH*wbits/8 bytes per frame). On chip:
    a ping-pong buffer of one slice (2 x MW/SIMD words of PE*SIMD*wbits) and the DDR reader
    (1500 LUT, 2000 FF, 2 BRAM36). The output leaves channel-group-major (all pixels of
    channels 0..PE-1, then the next PE channels): per-channel ops pass it through, the next
    SlidingWindow stores it in its frame buffer, and the host reorders a graph output. The
    SlidingWindow in front replays its frame buffer MH/PE times. Cycles are unchanged.

    Folding: PE divides MH; SIMD divides the input channels of the SlidingWindow in front
    (and is shared with it and the ZeroPad before it, which fold together with this op).
    Without a window (a fully connected layer, numInputVectors [1]) the input may be a
    flattened [1, H, W, C] stream read as one vector of MW = H*W*C, and SIMD divides both MW
    and C (the stream's words never straddle a pixel, so a width converter can regroup them).
    """

    TAKES_GROUP_MAJOR = False  # see HWOp

    FOLD_ATTRS = ("PE", "SIMD", "mem_mode", "ram_style", "resType")

    def get_nodeattr_types(self) -> dict:
        attrs = super().get_nodeattr_types()
        attrs.update(
            MW=("i", True, 0),
            MH=("i", True, 0),
            PE=("i", False, 1),
            SIMD=("i", False, 1),
            numInputVectors=("ints", False, [1]),
            weightDataType=("s", True, ""),
            numThresholds=("i", False, 0),  # 0: no activation, output the accumulator
            ActVal=("i", False, 0),
            mem_mode=("s", False, "internal", {"internal", "stream_ddr"}),
            ram_style=("s", False, "auto", {"auto", "block", "distributed"}),
            resType=("s", False, "auto", set(RES_TYPES)),  # multipliers: LUTs or DSP48E1s
        )
        return attrs

    def weight_dtype(self) -> DataType:
        return DataType[self.get_nodeattr("weightDataType")]

    def xnor_mode(self) -> bool:
        """BIPOLAR inputs and weights: accumulate popcount(XNOR) (qnnflow.ops.bipolar)."""
        return is_bipolar(self.input_dtype()) and is_bipolar(self.weight_dtype())

    def acc_bits(self) -> int:
        """Bits of the accumulator: signed for a dot product, unsigned for a popcount."""
        if self.xnor_mode():
            return math.ceil(math.log2(self.get_nodeattr("MW") + 1))
        wdt, idt = self.weight_dtype(), self.input_dtype()
        wmax = max(abs(wdt.min()), abs(wdt.max()))
        imax = max(abs(idt.min()), abs(idt.max()))
        return int(math.ceil(math.log2(self.get_nodeattr("MW") * wmax * imax + 1))) + 1

    def normal_input_shape(self) -> tuple[int, ...]:
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("MW"))

    def normal_output_shape(self) -> tuple[int, ...]:
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("MH"))

    def folded_input_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_input_shape(), self.get_nodeattr("SIMD"))

    def folded_output_shape(self) -> tuple[int, ...]:
        return self.fold_last_axis(self.normal_output_shape(), self.get_nodeattr("PE"))

    def check_datatypes(self) -> None:
        """Refuse datatype combinations the kernels do not implement."""
        if is_bipolar(self.input_dtype()) and not self.xnor_mode():
            raise self.fail(
                f"BIPOLAR inputs need BIPOLAR weights (XNOR mode), got {self.weight_dtype().name}"
            )
        if is_bipolar(self.output_dtype()):
            problem = bipolar_output_problem(
                self.get_nodeattr("numThresholds"), self.get_nodeattr("ActVal")
            )
            if problem:
                raise self.fail(problem)

    def verify_node(self) -> None:
        self.check_datatypes()
        super().verify_node()

    def check_folding(self) -> None:
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        self.require_divides("PE", pe, "MH (output channels)", self.get_nodeattr("MH"))
        self.require_divides("SIMD", simd, "MW (input channels x kernel)", self.get_nodeattr("MW"))
        if self.instream_width_bits() > MAX_STREAM_BITS:
            raise self.fail(
                f"input stream of {self.instream_width_bits()} bits exceeds "
                f"{MAX_STREAM_BITS} (lower SIMD)"
            )
        if self.outstream_width_bits() > MAX_STREAM_BITS:
            raise self.fail(
                f"output stream of {self.outstream_width_bits()} bits exceeds "
                f"{MAX_STREAM_BITS} (lower PE)"
            )
        if self.get_nodeattr("resType") == "dsp":
            problem = dsp_problem(self.weight_dtype(), self.input_dtype())
            if problem:
                raise self.fail(f'resType "dsp": {problem}; use "lut" or "auto"')

    def multiplier_style(self) -> str:
        """'none' (bipolar weights), 'lut' or 'dsp': resType with auto resolved."""
        return multiplier_style(
            self.get_nodeattr("resType"), self.weight_dtype(), self.input_dtype()
        )

    def dsp_pack_shift(self) -> int:
        """The low field's width when two lanes' products share a DSP48E1, else 0."""
        if self.multiplier_style() != "dsp":
            return 0
        return dsp_pack_shift(self.weight_dtype(), self.input_dtype(), self.get_nodeattr("SIMD"))

    def res_type_choices(self) -> list[str]:
        """The multiplier styles folding may choose: none for bipolar weights (no multiplier),
        else auto (the default rule) and the other of lut/dsp where it is legal."""
        wdt, idt = self.weight_dtype(), self.input_dtype()
        if multiplier_style("auto", wdt, idt) == "none":
            return []
        other = "lut" if multiplier_style("auto", wdt, idt) == "dsp" else "dsp"
        legal = other == "lut" or dsp_problem(wdt, idt) is None
        return ["auto", other] if legal else ["auto"]

    def streamed(self) -> bool:
        return self.get_nodeattr("mem_mode") == "stream_ddr"

    def window_node(self, model):
        """The SlidingWindow feeding this layer (through FIFOs and converters), or None."""
        return producer_of_class(model, self.onnx_node, SlidingWindow)

    def fold_partners(self, model) -> list:
        swg = self.window_node(model)
        if swg is None:
            return []
        pad = producer_of_class(model, swg, ZeroPad)
        return [pad, swg] if pad is not None else [swg]

    def fold_choices(self) -> dict[str, list]:
        return {"PE": divisors(self.get_nodeattr("MH")), "SIMD": divisors(self.get_nodeattr("MW"))}

    def fold_options(self, model, plan: FoldPlan) -> list[dict[str, dict]]:
        """SIMD over the window's input channels x PE over MH x the legal multiplier styles;
        the memory mode and the window's frame buffer and replays follow the plan."""
        name, mh = self.onnx_node.name, self.get_nodeattr("MH")
        swg, partners = self.window_node(model), self.fold_partners(model)
        if swg is not None:
            channels = hw_op(swg).get_nodeattr("IFMChannels")
        else:
            channels = math.gcd(self.get_nodeattr("MW"), self._stream_channels(model))
        mode = "stream_ddr" if name in plan.streamed else "internal"
        res_types = self.res_type_choices() or [None]  # None: no multiplier to choose
        options = []
        for simd, pe, res_type in itertools.product(divisors(channels), divisors(mh), res_types):
            attrs = {name: {"PE": pe, "SIMD": simd, "mem_mode": mode}}
            if res_type is not None:
                attrs[name]["resType"] = res_type
            for node in partners:
                attrs[node.name] = {"SIMD": simd}
            if swg is not None:
                attrs[swg.name]["frameReplays"] = mh // pe if mode == "stream_ddr" else 1
                attrs[swg.name]["frameBuffer"] = int(name in plan.frame_buffered)
            options.append(attrs)
        return options

    def _stream_channels(self, model) -> int:
        """The last axis of the tensor this op reads (MW unless it reads a map as a vector)."""
        shape = model.get_tensor_shape(self.onnx_node.input[0])
        return int(shape[-1]) if shape else self.get_nodeattr("MW")

    def apply_plan(self, model) -> None:
        """The SlidingWindow in front replays its frame buffer MH/PE times when the weights
        stream; it buffers whole frames then, and whenever its input arrives
        channel-group-major (behind a streamed layer)."""
        swg = self.window_node(model)
        if swg is not None:
            window = hw_op(swg)
            replays = self.get_nodeattr("MH") // self.get_nodeattr("PE") if self.streamed() else 1
            window.set_nodeattr("frameReplays", replays)
            grouped = input_channel_groups(model, swg) > 1
            window.set_nodeattr("frameBuffer", int(self.streamed() or grouped))

    def macs(self) -> int:
        vectors = int(np.prod(self.get_nodeattr("numInputVectors")))
        return vectors * self.get_nodeattr("MW") * self.get_nodeattr("MH")

    def weight_bits(self) -> int:
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        return mw * mh * self.weight_dtype().bitwidth()

    def can_stream_weights(self, model) -> bool:
        """Fed by a SlidingWindow (which can replay its frame) and big enough to be worth
        a DDR reader."""
        return self.window_node(model) is not None and (
            self.weight_bits() >= STREAM_WEIGHTS_MIN_BITS
        )

    def fill_words(self) -> int:
        """One input vector; a streamed layer's last channel group needs every pixel."""
        if self.streamed():
            return self.words_per_frame()
        return self.get_nodeattr("MW") // self.get_nodeattr("SIMD")

    def output_channel_groups(self, input_groups: int) -> int:
        return self.get_nodeattr("MH") // self.get_nodeattr("PE") if self.streamed() else 1

    def cycles(self) -> int:
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        vectors = int(np.prod(self.get_nodeattr("numInputVectors")))
        return vectors * (mw // self.get_nodeattr("SIMD")) * (mh // self.get_nodeattr("PE"))

    def resources(self) -> dict[str, float]:
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        wbits, abits = self.weight_dtype().bitwidth(), self.input_dtype().bitwidth()
        acc, t = self.acc_bits(), self.get_nodeattr("numThresholds")
        res = zero_resources()
        style = self.multiplier_style()
        lut_bits = abits if style == "none" else wbits * abits
        mac_lut, res["DSP"] = multiply_add_cost(
            style, pe, simd, lut_bits, acc, self.dsp_pack_shift()
        )
        if self.get_nodeattr("mem_mode") == "stream_ddr":
            self._add_stream_buffers(res)
        else:
            self._add_memory(res, mw * mh // (pe * simd), pe * simd * wbits)
        res["LUTRAM"] += float(lutram_for(mh // pe, pe * t * acc))
        compare = acc + t * math.ceil(acc / 2)
        if self.xnor_mode():  # XNOR per lane, a popcount tree of about SIMD LUTs
            res["LUT"] += 100.0 + pe * (2 * simd + compare)
        else:
            res["LUT"] += 100.0 + mac_lut + pe * compare
        res["LUT"] += res["LUTRAM"]
        res["FF"] += 100.0 + pe * (simd * abits + 2 * acc)
        return res

    def _add_memory(self, res: dict[str, float], depth: int, width: int, copies: int = 1) -> None:
        style = self.get_nodeattr("ram_style")
        if style == "block" or (style == "auto" and depth > 128):
            res["BRAM36"] += copies * bram36_for(depth, width)
        else:
            res["LUTRAM"] += copies * lutram_for(depth, width)

    def _add_stream_buffers(self, res: dict[str, float]) -> None:
        pe, simd, mw = self.get_nodeattr("PE"), self.get_nodeattr("SIMD"), self.get_nodeattr("MW")
        self._add_memory(res, mw // simd, pe * simd * self.weight_dtype().bitwidth(), copies=2)
        res["LUT"] += 1500.0
        res["FF"] += 2000.0
        res["BRAM36"] += 2.0

    def ddr_bytes_per_frame(self) -> int:
        """Weight bytes read from DDR per frame (0 when the weights live on chip)."""
        if not self.streamed():
            return 0
        return -(-self.weight_bits() // 8)

    def reference(self, x: np.ndarray, weights: np.ndarray, *thresholds: np.ndarray) -> np.ndarray:
        # a fully connected layer may read a [1, H, W, C] stream as one vector of H*W*C
        acc = matrix_vector(x.reshape(self.normal_input_shape()), weights)
        if not thresholds:
            return acc  # in XNOR mode too: the bipolar dot product 2p - MW
        if self.xnor_mode():
            acc = xnor_popcount(acc, self.get_nodeattr("MW"))
        counts = multithreshold_last_axis(acc, thresholds[0])
        return thresholded_output(counts, self.output_dtype(), self.get_nodeattr("ActVal"))
