"""Dagster definitions and the command line. The only package that imports dagster."""
