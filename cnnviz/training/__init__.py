"""Training: recipes, the training loop (:func:`cnnviz.train`), its input pipeline and augmentation, the
Snapshots callback and the snapshot files it writes, and timing experiments.

Imports the front doors it renders each epoch (maximize, attribution), :mod:`cnnviz.core` and :mod:`cnnviz.io`.
See docs/architecture.md.
"""
