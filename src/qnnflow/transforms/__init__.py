"""qonnx Transformations, one concern per file, grouped by area (tidy, streamline, ...)."""
