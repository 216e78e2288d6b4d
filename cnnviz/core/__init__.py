"""The model contract: read any Keras image classifier (graph, contract, probe), load and save models with their
cards, and the small pieces every layer above uses (messages, output paths, versions, notebook display).

Imports only :mod:`cnnviz.io` (and TensorFlow/Keras/numpy). See docs/architecture.md.
"""
