"""Model importers: each turns an external format into a float QONNX ModelWrapper."""
