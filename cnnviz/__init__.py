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
A new public name is one entry in :data:`_EXPORTS` (name -> module) plus its line in ``__all__``; a name that
leaves the top level goes to :data:`_DEPRECATED` (a warning alias for one release, listed in CHANGELOG.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from ._version import __version__ as __version__

#: public name -> the submodule that defines it (imported on first access)
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["attribute", "faithfulness", "sanity_check"], ".attribution"),
    **dict.fromkeys(["DataError"], ".io.decode"),
    **dict.fromkeys(["load_mnist", "load_sample", "preprocess"], ".io.data"),
    **dict.fromkeys(["evaluate"], ".evaluate"),
    **dict.fromkeys(["feature_maps", "filters", "predict", "top_examples"], ".features"),
    **dict.fromkeys(["maximize", "maximize_filter"], ".maximize"),
    **dict.fromkeys(["ModelError"], ".core.checks"),
    **dict.fromkeys(["layer_table"], ".core.layers"),
    **dict.fromkeys(["load_model"], ".core.model"),
    **dict.fromkeys(["save_model"], ".core.saving"),
    **dict.fromkeys(["export_figures", "report"], ".report"),
    **dict.fromkeys(["train"], ".training.loop"),
    **dict.fromkeys(["Snapshots"], ".training.callbacks"),
    **dict.fromkeys(["replay"], ".replay"),
    **dict.fromkeys(["load_snapshots"], ".training.snapshots"),
    **dict.fromkeys(["dataset_examples"], ".atlas"),
    **dict.fromkeys(["UnknownOption"], ".core.options"),
    **dict.fromkeys(["concept_map", "concepts"], ".concepts"),
    **dict.fromkeys(["describe"], ".core.build"),
    # public submodules
    **{name: f".{name}" for name in ("attribution", "optvis", "plots")},
}

#: names that are both a submodule and the function it exports: ``cnnviz.train`` is the function
_FUNCTION_OVER_MODULE = frozenset({"train", "evaluate", "maximize", "report", "replay", "concepts", "class_examples",
                                   "fake_vs_constrained"})

#: The public API: what a first hour with cnnviz needs. Everything else lives in a submodule.
__all__ = [
    # the model
    "load_model", "save_model", "describe", "layer_table",
    # data
    "load_sample", "load_mnist", "preprocess",
    # train and evaluate
    "train", "evaluate", "predict", "Snapshots", "load_snapshots", "replay",
    # look inside
    "feature_maps", "filters", "top_examples", "dataset_examples", "maximize", "maximize_filter",
    # attribution and trust
    "attribute", "faithfulness", "sanity_check",
    # concepts
    "concepts", "concept_map",
    # reports
    "report", "export_figures",
    # errors
    "DataError", "ModelError", "UnknownOption",
    # submodules
    "attribution", "optvis", "plots",
]

#: old top-level name -> (its home module, its name there): these still work for one release, with a
#: DeprecationWarning that names the new spelling (CHANGELOG.md lists them)
_DEPRECATED: dict[str, tuple[str, str]] = {
    **{n: ("cnnviz.attribution", n) for n in (
        "Attribution", "Faithfulness", "SanityCheck", "gradcam", "gradcam_plus_plus", "integrated_gradients",
        "layercam", "saliency", "scorecam", "smoothgrad", "plot_faithfulness", "plot_sanity_check")},
    **{n: ("cnnviz.plots", n) for n in (
        "figure_bytes", "save_figure", "plot_attribution", "plot_atlas", "plot_class_variety", "plot_confusion",
        "plot_fake_vs_constrained", "plot_feature_maps", "plot_filter_patterns", "plot_filters", "plot_history",
        "plot_maximization", "plot_pooling", "plot_top_examples")},
    **{n: ("cnnviz.plots", n) for n in ("plot_architecture", "plot_model_card")},
    **{n: ("cnnviz.evaluate", n) for n in ("Evaluation",)},
    **{n: ("cnnviz.features", n) for n in ("FeatureMaps", "TopExamples", "pool", "pooling")},
    **{n: ("cnnviz.optvis", n) for n in ("MaximizationResult", "Regularization")},
    **{n: ("cnnviz.class_examples", n) for n in ("ClassExamples", "class_examples")},
    **{n: ("cnnviz.fake_vs_constrained", n) for n in ("ClassImages", "fake_vs_constrained")},
    **{n: ("cnnviz.core.model", n) for n in ("reference_model",)},
    **{n: ("cnnviz.core.probe", n) for n in ("Probe",)},
    **{n: ("cnnviz.core.build", n) for n in ("get_probe",)},
    **{n: ("cnnviz.report", n) for n in ("Report", "ReportOptions", "report_figures")},
    **{n: ("cnnviz.training.recipes", n) for n in ("RECIPES",)},
    **{n: ("cnnviz.training.results", n) for n in ("TrainResult", "load_card", "load_history")},
    **{n: ("cnnviz.convolution", n) for n in (
        "ConvolutionStep", "conv_step", "convolution_step", "convolve", "kernel_and_bias", "plot_convolution_step")},
    **{n: ("cnnviz.training.experiments", n) for n in ("plot_batch_timing", "time_batch_sizes")},
    **{n: ("cnnviz.replay", n) for n in ("plot_snapshots",)},
    **{n: ("cnnviz.training.snapshots", n) for n in ("Snapshot", "SnapshotRun")},
    **{n: ("cnnviz.atlas", n) for n in ("Atlas", "load_atlas")},
    **{n: ("cnnviz.concepts", n) for n in (
        "Concepts", "concept_completeness", "plot_concept_completeness", "plot_concept_map", "plot_concepts")},
    **{n: (f"cnnviz.optvis.{n}", "") for n in ("objectives", "param", "transforms")},  # the modules themselves
}


def _new_spelling(name: str) -> str:
    """How to reach a deprecated name now: ``cnnviz.plots.plot_filters``, or an import where the module's
    attribute is a function of the same name (``cnnviz.train`` is the function, not the module)."""
    module, attr = _DEPRECATED[name]
    if not attr:
        return module
    if module.rsplit(".", 1)[-1] in _FUNCTION_OVER_MODULE:
        return f"from {module} import {attr}"
    return f"{module}.{attr}"


#: public calls whose keyword options are checked (unknown ones are one-line errors) and that take
#: ``input_range=`` / ``class_names=`` / ``convention=`` for that call only: name -> what its ``**options`` take
#: (``module:function`` giving the names, a fixed list, or None for "its signature says it all")
_CHECKED: dict[str, str | tuple[str, ...] | None] = {
    "predict": None, "feature_maps": None, "filters": None, "top_examples": None, "evaluate": None,
    "attribute": ".attribution.base:method_options", "faithfulness": ".attribution.base:method_options",
    "sanity_check": ".attribution.base:method_options", "maximize": ("class",),
    "maximize_filter": ("l1", "l2", "tv", "jitter", "blur"), "report": ".report.options:report_options",
    "export_figures": ".report.options:report_options", "dataset_examples": None,
}  # (the calls that live in submodules check their options where they are defined)


def _checked(name: str, fn):
    from .core.options import public

    extra = _CHECKED[name]
    if isinstance(extra, str):
        module, function = extra.split(":")
        extra = getattr(importlib.import_module(module, __name__), function)
    elif extra is not None:
        names = list(extra)
        extra = lambda: names  # noqa: E731
    return public(fn, extra=extra)


class _Package(types.ModuleType):
    """The package module: resolves public names lazily; a submodule import never hides a function."""

    def __getattr__(self, name: str):
        if name in _DEPRECATED:  # not cached: every use warns, where it is
            return self._deprecated(name)
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

    def _deprecated(self, name: str):
        import warnings

        module, attr = _DEPRECATED[name]
        warnings.warn(f"cnnviz.{name} is deprecated; use {_new_spelling(name)}", DeprecationWarning, stacklevel=3)
        from ._quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
        value = importlib.import_module(module)
        if attr:
            value = getattr(value, attr)
        return value

    def __setattr__(self, name: str, value) -> None:
        # importing cnnviz.train (the module) sets the package attribute `train`; the function keeps the name
        if name in _FUNCTION_OVER_MODULE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(__all__))


sys.modules[__name__].__class__ = _Package
