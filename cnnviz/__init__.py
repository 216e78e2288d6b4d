"""cnnviz: see what a convolutional neural network has learned.

>>> import cnnviz
>>> model = cnnviz.load_model()          # the shipped MNIST CNN
>>> model.count_params()
34826
>>> six = cnnviz.maximize(**{"class": 6})  # the image the network finds most "6"
>>> int(six.predicted[0])
6
"""

from ._quiet import import_tensorflow_quietly as _import_tensorflow_quietly

_import_tensorflow_quietly()

from . import objectives, param, transforms  # noqa: E402
from ._version import __version__ as __version__  # noqa: E402
from .attribution import (  # noqa: E402
    Attribution,
    attribute,
    gradcam,
    gradcam_plus_plus,
    integrated_gradients,
    layercam,
    saliency,
    scorecam,
    smoothgrad,
)
from .data import DataError, load_mnist, load_sample, preprocess  # noqa: E402
from .evaluate import Evaluation, evaluate  # noqa: E402
from .features import (  # noqa: E402
    FeatureMaps,
    TopExamples,
    feature_maps,
    filters,
    pool,
    pooling,
    predict,
    top_examples,
)
from .maximize import (  # noqa: E402
    ClassExamples,
    ClassImages,
    MaximizationResult,
    Regularization,
    class_examples,
    fake_vs_constrained,
    maximize,
    maximize_filter,
)
from .model import ModelError, layer_table, load_model, reference_model, save_model  # noqa: E402
from .model_plots import plot_architecture, plot_model_card  # noqa: E402
from .plots import (  # noqa: E402
    figure_bytes,
    plot_attribution,
    plot_class_variety,
    plot_confusion,
    plot_fake_vs_constrained,
    plot_feature_maps,
    plot_filter_patterns,
    plot_filters,
    plot_history,
    plot_maximization,
    plot_pooling,
    plot_top_examples,
    save_figure,
)
from .probe import Probe, get_probe  # noqa: E402
from .report import Report, ReportOptions, export_figures, report, report_figures  # noqa: E402
from .train import RECIPES, TrainResult, load_card, load_history, train  # noqa: E402

__all__ = [
    "RECIPES",
    "Attribution",
    "ClassExamples",
    "ClassImages",
    "DataError",
    "Evaluation",
    "FeatureMaps",
    "MaximizationResult",
    "ModelError",
    "Probe",
    "Regularization",
    "Report",
    "ReportOptions",
    "TopExamples",
    "TrainResult",
    "attribute",
    "class_examples",
    "evaluate",
    "export_figures",
    "fake_vs_constrained",
    "feature_maps",
    "figure_bytes",
    "filters",
    "get_probe",
    "gradcam",
    "gradcam_plus_plus",
    "integrated_gradients",
    "layer_table",
    "layercam",
    "load_card",
    "load_history",
    "load_mnist",
    "load_model",
    "load_sample",
    "maximize",
    "maximize_filter",
    "objectives",
    "param",
    "plot_architecture",
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
    "pool",
    "pooling",
    "predict",
    "preprocess",
    "reference_model",
    "report",
    "report_figures",
    "saliency",
    "save_figure",
    "save_model",
    "scorecam",
    "smoothgrad",
    "top_examples",
    "train",
    "transforms",
]

from .convolution import (  # noqa: E402
    ConvolutionStep,
    conv_step,
    convolution_step,
    convolve,
    kernel_and_bias,
    plot_convolution_step,
)
from .experiments import plot_batch_timing, time_batch_sizes  # noqa: E402

__all__ += [
    "ConvolutionStep",
    "conv_step",
    "convolution_step",
    "convolve",
    "kernel_and_bias",
    "plot_batch_timing",
    "plot_convolution_step",
    "time_batch_sizes",
]

# issue 11: can an explanation be trusted
from .attribution import (  # noqa: E402
    Faithfulness,
    SanityCheck,
    faithfulness,
    plot_faithfulness,
    plot_sanity_check,
    sanity_check,
)

__all__ += ["Faithfulness", "SanityCheck", "faithfulness", "plot_faithfulness", "plot_sanity_check", "sanity_check"]

from . import callbacks  # noqa: E402
from .callbacks import Snapshots  # noqa: E402
from .replay import plot_snapshots, replay  # noqa: E402
from .snapshots import Snapshot, SnapshotRun, load_snapshots  # noqa: E402

__all__ += [
    "Snapshot",
    "SnapshotRun",
    "Snapshots",
    "callbacks",
    "load_snapshots",
    "plot_snapshots",
    "replay",
]


from .atlas import Atlas, dataset_examples, load_atlas  # noqa: E402
from .plots import plot_atlas  # noqa: E402

__all__ += ["Atlas", "dataset_examples", "load_atlas", "plot_atlas"]

# issue 20: concepts
from .concepts import (  # noqa: E402
    Concepts,
    concept_completeness,
    concept_map,
    concepts,
    plot_concept_completeness,
    plot_concept_map,
    plot_concepts,
)

__all__ += ["Concepts", "concept_completeness", "concept_map", "concepts", "plot_concept_completeness",
            "plot_concept_map", "plot_concepts"]

# results show their figure when they are the last line of a notebook cell (cnnviz.notebook's registry)
import sys as _sys  # noqa: E402

from .notebook import register_defaults as _register_defaults  # noqa: E402

_register_defaults(_sys.modules[__name__])
