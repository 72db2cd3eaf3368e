"""Datasets and accuracy: a seeded procedural detection dataset (Darknet folder layout), its
reader, and mAP@0.5 evaluation of detectors on it."""
