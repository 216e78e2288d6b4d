"""Files and images: the one image path (:mod:`cnnviz.io.images`), decoding image files safely, the MNIST data
sets, and atomic file writes. Knows nothing of models: numpy arrays in, numpy arrays out.

Imports nothing else of cnnviz. See docs/architecture.md.
"""
