"""Write the README's Concepts figures to docs/ with the shipped model and the bundled sample.

Usage: python scripts/make_concepts_figures.py
"""

from pathlib import Path

import numpy as np

import cnnviz
from cnnviz.concepts import (
    concept_completeness,
    plot_concept_completeness,
    plot_concept_map,
    plot_concepts,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    sample = cnnviz.load_sample()
    result = cnnviz.concepts("conv2", n=8, seed=0)
    seven = sample.x_test[np.flatnonzero(sample.y_test == 7)[0]]
    figures = {
        "concepts": plot_concepts(result),
        "concept_map": plot_concept_map(cnnviz.concept_map(seven, result)),
        "concepts_completeness": plot_concept_completeness(concept_completeness("conv2")),
    }
    for name, fig in figures.items():
        print(cnnviz.plots.save_figure(fig, DOCS / f"{name}.png"))


if __name__ == "__main__":
    main()
