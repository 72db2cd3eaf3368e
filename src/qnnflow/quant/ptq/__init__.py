"""Post-training quantization of float models on Brevitas (issue 12)."""
