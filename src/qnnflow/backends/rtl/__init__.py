"""The RTL backend: our SystemVerilog kernels (rtl/qnnflow/*.sv), one renderer per hardware
op (ops/), Verilator simulation and Yosys synthesis. It renders the same folded graph as the
HLS backend to the same stream contract, so numpy, C++ and RTL can be compared word by word."""
