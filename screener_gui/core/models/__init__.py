"""Neural networks: backbones, region classifiers, the object segmenter."""
