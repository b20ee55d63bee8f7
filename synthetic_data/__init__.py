"""Synthetic openIMIS databases (generator) and anonymised copies of real ones."""

from synthetic_data.generator import generate
from synthetic_data.options import GenerationError, GenerationOptions, GenerationReport

__all__ = ["generate", "GenerationOptions", "GenerationReport", "GenerationError"]
