"""One-off studies that answered a question; each writes its record under ``benchmarks/results/<script>/``."""
