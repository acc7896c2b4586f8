"""Neural networks: the registry of architectures, their model cards, one module per family.

- :mod:`~.registry`: architectures by name (imports no model; families are imported when built);
- :mod:`~.card`: the typed metadata of a weights file, owning the input normalisation;
- :mod:`~.base`: the classes, the normalisation and the region-classifier interface every family shares;
- families: :mod:`~.resnet`, :mod:`~.squeezenet`, :mod:`~.vgg`, :mod:`~.bcnn`, :mod:`~.macnn`,
  :mod:`~.dfl` (region classifiers), :mod:`~.dense` (the dense whole-item detector);
- :mod:`~.lite0` (the EfficientNet-Lite0 backbone), :mod:`~.pooled` (superpixel pooling of a DFL
  network), :mod:`~.segmenter` (the object segmenter).
"""
