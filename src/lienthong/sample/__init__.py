"""A synthetic province: sectoral exports with realistic mess and their ground truth."""

from lienthong.sample.generate import SampleSummary, generate_province

__all__ = ["SampleSummary", "generate_province"]
