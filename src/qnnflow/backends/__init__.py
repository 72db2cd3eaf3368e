"""Code generation backends: HLS C++ (hls/), Vivado block design and bitstream scripts."""
