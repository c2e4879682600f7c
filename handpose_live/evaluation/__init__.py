"""Evaluation: metrics, the fixed synthetic test set, the toolkit's file format, the whole-pipeline
evaluation, and speed and soak benchmarks."""
