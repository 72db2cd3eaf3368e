"""Quantization: calibration of activation ranges, W1A3 and PTQ schemes, QAT with Brevitas."""
