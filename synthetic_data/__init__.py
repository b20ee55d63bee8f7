"""Synthetic openIMIS databases (generator) and anonymised copies of real ones."""
