"""Generator of realistic OLI Torus xAPI statements and matching catalog import files."""

from olap.generator.generate import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
