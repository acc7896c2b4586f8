"""Screening pipeline: objects, superpixels, regions, classification, decision."""
