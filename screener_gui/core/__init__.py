"""Compute and I/O core. Never imports Qt: everything here runs headless."""
