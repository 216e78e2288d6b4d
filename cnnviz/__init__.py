"""cnnviz: see what a convolutional neural network has learned.

>>> import cnnviz
>>> model = cnnviz.load_model()          # the shipped MNIST CNN
>>> model.count_params()
34826
>>> six = cnnviz.maximize(**{"class": 6})  # the image the network finds most "6"
>>> int(six.predicted[0])
6

``import cnnviz`` is instant and changes nothing in the process (no environment variable, no file
descriptor, no matplotlib backend): each public name is imported from its module on first use
(PEP 562), and TensorFlow's start-up lines are silenced only while TensorFlow itself loads.
A new public name is one entry in :data:`_EXPORTS` (name -> module) plus its line in ``__all__``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from ._version import __version__ as __version__

#: public name -> the submodule that defines it (imported on first access)
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["Attribution", "attribute", "gradcam", "gradcam_plus_plus", "integrated_gradients", "layercam", "saliency", "scorecam", "smoothgrad", "Faithfulness", "SanityCheck", "faithfulness", "plot_faithfulness", "plot_sanity_check", "sanity_check"], ".attribution"),
    **dict.fromkeys(["DataError"], ".io.decode"),
    **dict.fromkeys(["load_mnist", "load_sample", "preprocess"], ".io.data"),
    **dict.fromkeys(["Evaluation", "evaluate"], ".evaluate"),
    **dict.fromkeys(["FeatureMaps", "TopExamples", "feature_maps", "filters", "pool", "pooling", "predict", "top_examples"], ".features"),
    **dict.fromkeys(["ClassExamples", "class_examples"], ".class_examples"),
    **dict.fromkeys(["ClassImages", "fake_vs_constrained"], ".fake_vs_constrained"),
    **dict.fromkeys(["MaximizationResult"], ".optvis.result"),
    **dict.fromkeys(["Regularization"], ".optvis.presets"),
    **dict.fromkeys(["maximize", "maximize_filter"], ".maximize"),
    **dict.fromkeys(["ModelError"], ".core.checks"),
    **dict.fromkeys(["layer_table"], ".core.layers"),
    **dict.fromkeys(["load_model", "reference_model"], ".core.model"),
    **dict.fromkeys(["save_model"], ".core.saving"),
    **dict.fromkeys(["plot_architecture", "plot_model_card"], ".plots"),
    **dict.fromkeys(["figure_bytes", "plot_attribution", "plot_class_variety", "plot_confusion", "plot_fake_vs_constrained", "plot_feature_maps", "plot_filter_patterns", "plot_filters", "plot_history", "plot_maximization", "plot_pooling", "plot_top_examples", "save_figure", "plot_atlas"], ".plots"),
    **dict.fromkeys(["Probe"], ".core.probe"),
    **dict.fromkeys(["get_probe"], ".core.build"),
    **dict.fromkeys(["Report", "ReportOptions", "export_figures", "report", "report_figures"], ".report"),
    **dict.fromkeys(["RECIPES"], ".training.recipes"),
    **dict.fromkeys(["TrainResult", "load_card", "load_history"], ".training.results"),
    **dict.fromkeys(["train"], ".training.loop"),
    **dict.fromkeys(["ConvolutionStep", "conv_step", "convolution_step", "convolve", "kernel_and_bias", "plot_convolution_step"], ".convolution"),
    **dict.fromkeys(["plot_batch_timing", "time_batch_sizes"], ".training.experiments"),
    **dict.fromkeys(["Snapshots"], ".training.callbacks"),
    **dict.fromkeys(["plot_snapshots", "replay"], ".replay"),
    **dict.fromkeys(["Snapshot", "SnapshotRun", "load_snapshots"], ".training.snapshots"),
    **dict.fromkeys(["Atlas", "dataset_examples", "load_atlas"], ".atlas"),
    **dict.fromkeys(["UnknownOption"], ".public"),
    **dict.fromkeys(["Concepts", "concept_completeness", "concept_map", "concepts", "plot_concept_completeness",
                     "plot_concept_map", "plot_concepts"], ".concepts"),
    **dict.fromkeys(["describe"], ".core.build"),
    # public submodules
    **{name: f".{name}" for name in ("objectives", "param", "transforms", "callbacks", "images")},
}

#: names that are both a submodule and the function it exports: ``cnnviz.train`` is the function
_FUNCTION_OVER_MODULE = frozenset({"train", "evaluate", "maximize", "report", "replay", "concepts", "class_examples",
                                   "fake_vs_constrained"})

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
__all__ += ["Faithfulness", "SanityCheck", "faithfulness", "plot_faithfulness", "plot_sanity_check", "sanity_check"]
__all__ += [
    "Snapshot",
    "SnapshotRun",
    "Snapshots",
    "callbacks",
    "load_snapshots",
    "plot_snapshots",
    "replay",
]
__all__ += ["Atlas", "dataset_examples", "load_atlas", "plot_atlas"]

__all__ += ["UnknownOption", "describe", "images"]
__all__ += ["Concepts", "concept_completeness", "concept_map", "concepts", "plot_concept_completeness",
            "plot_concept_map", "plot_concepts"]

#: public calls whose keyword options are checked (unknown ones are one-line errors) and that take
#: ``input_range=`` / ``class_names=`` / ``convention=`` for that call only: name -> what its ``**options`` take
#: (a function name in :mod:`cnnviz.public`, a fixed list, or None for "its signature says it all")
_CHECKED: dict[str, str | tuple[str, ...] | None] = {
    "predict": None, "feature_maps": None, "filters": None, "top_examples": None, "evaluate": None,
    "attribute": "method_options", "saliency": "attribute_options", "smoothgrad": "attribute_options",
    "gradcam": "attribute_options", "gradcam_plus_plus": "attribute_options", "scorecam": "attribute_options",
    "layercam": "attribute_options", "integrated_gradients": "attribute_options",
    "faithfulness": "method_options", "sanity_check": "method_options",
    "maximize": ("class",), "maximize_filter": ("l1", "l2", "tv", "jitter", "blur"), "class_examples": None,
    "fake_vs_constrained": None, "report": "report_options", "report_figures": "report_options",
    "export_figures": "report_options", "dataset_examples": None, "kernel_and_bias": None,
}


def _checked(name: str, fn):
    from . import public

    extra = _CHECKED[name]
    if isinstance(extra, str):
        extra = getattr(public, extra)
    elif extra is not None:
        names = list(extra)
        extra = lambda: names  # noqa: E731
    return public.public(fn, extra=extra)


class _Package(types.ModuleType):
    """The package module: resolves public names lazily; a submodule import never hides a function."""

    def __getattr__(self, name: str):
        module = _EXPORTS.get(name)
        if module is None:  # a submodule not imported yet (cnnviz.plots, cnnviz.style, ...)
            if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is None:
                raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
            module = f".{name}"
        from ._quiet import import_tensorflow_quietly

        import_tensorflow_quietly()  # TensorFlow's C++ start-up lines, silenced for this import only
        target = importlib.import_module(module, __name__)
        value = target if module == f".{name}" and name not in _FUNCTION_OVER_MODULE else getattr(target, name)
        if name in _CHECKED:
            value = _checked(name, value)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value) -> None:
        # importing cnnviz.train (the module) sets the package attribute `train`; the function keeps the name
        if name in _FUNCTION_OVER_MODULE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(__all__))


sys.modules[__name__].__class__ = _Package
