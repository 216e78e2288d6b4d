"""One ``plot_*`` per visualization; each returns a matplotlib Figure. ``save_figure`` writes it.

Plots never train or compute with TensorFlow: they draw the arrays and dataclasses that
the rest of cnnviz returns. One module per kind of figure: training curves, confusion, feature maps,
filters, dataset examples, maximization, attribution, the architecture and the model card; figure files.

>>> import cnnviz
>>> fig = cnnviz.plots.plot_history(cnnviz.training.results.load_history())
>>> save_figure(fig, "history.png").suffix
'.png'
"""

from .architecture import plot_architecture
from .attribution import plot_attribution
from .card import card_rows, draw_card, plot_model_card
from .confusion import plot_confusion
from .draw import class_label
from .examples import plot_atlas, plot_top_examples
from .features import plot_feature_maps, plot_pooling
from .files import FORMATS, figure_bytes, save_figure
from .filters import plot_filter_patterns, plot_filters
from .maximization import plot_class_variety, plot_fake_vs_constrained, plot_maximization
from .training import plot_history

__all__ = [
    "FORMATS",
    "card_rows",
    "class_label",
    "draw_card",
    "figure_bytes",
    "plot_architecture",
    "plot_atlas",
    "plot_attribution",
    "plot_class_variety",
    "plot_confusion",
    "plot_fake_vs_constrained",
    "plot_feature_maps",
    "plot_filter_patterns",
    "plot_filters",
    "plot_history",
    "plot_maximization",
    "plot_model_card",
    "plot_pooling",
    "plot_top_examples",
    "save_figure",
]
