"""Concepts: a layer factored into a few non-negative directions a person can name (Lucid's Building Blocks,
CRAFT), with where they sit in one image and evidence that they are real.

>>> import cnnviz
>>> c = cnnviz.concepts("conv2", n=4, visualize=False, evidence=False)  # doctest: +SKIP
>>> c.dictionary.shape  # doctest: +SKIP
(4, 64)
"""

from .evidence import match_dictionaries
from .fit import ConceptError, Concepts, concepts, r2_score
from .map import ConceptMap, concept_map
from .plots import plot_concept_completeness, plot_concept_map, plot_concepts
from .refit import Completeness, concept_completeness, stability

__all__ = ["Completeness", "ConceptError", "ConceptMap", "Concepts", "concept_completeness", "concept_map", "concepts",
           "match_dictionaries", "plot_concept_completeness", "plot_concept_map", "plot_concepts", "r2_score",
           "stability"]
