"""qnnflow: an open FPGA dataflow compiler for quantized detectors."""

__version__ = "0.1.0"
