"""Quantization-aware training with Brevitas: Darknet cfg -> torch model (float or W1A3),
YOLOv2 region loss, QONNX export, and write-back of trained weights to Darknet files."""
