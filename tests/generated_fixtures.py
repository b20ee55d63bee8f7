"""Fixtures with generated synthetic openIMIS databases (filled in with the generator)."""
