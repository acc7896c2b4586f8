"""Training and evaluation of the segmenter and the region classifiers."""
