"""HLS C++ backend: per-layer code from hardware ops, the stitched dataflow top, and the
g++ simulation that checks both against the numpy execution."""
