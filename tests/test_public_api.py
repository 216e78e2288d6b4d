"""The public API is small and every name in it works; the old top-level names still work, with a warning.

``cnnviz.__all__`` holds what a first hour needs (at most 40 names); everything else lives in a submodule
with its own ``__all__``. A name that left the top level stays one release as an alias that warns once,
names its new home, and returns that very object.
"""

from __future__ import annotations

import importlib
import types
import warnings

import pytest

import cnnviz

#: the submodules a user imports from (each must say what it exports)
#: the modules a public or deprecated name lives in, and the open optvis engine: each says what it exports
PUBLIC_MODULES = tuple(sorted(
    {m.lstrip(".") for m in cnnviz._EXPORTS.values()}
    | {module.removeprefix("cnnviz.") for module, attr in cnnviz._DEPRECATED.values() if attr}
    | {"optvis.objectives", "optvis.param", "optvis.transforms"}))
#: deprecated names whose new home keeps them without listing them (one spelling of a near-twin is public)
UNLISTED = {"pooling": "cnnviz.features.pool is the public spelling",
            "conv_step": "cnnviz.convolution.convolution_step is the public spelling"}


def _home(module: str, attr: str):
    value = importlib.import_module(module)
    return getattr(value, attr) if attr else value


def test_the_top_level_has_at_most_40_names_and_each_resolves():
    assert len(cnnviz.__all__) <= 40, len(cnnviz.__all__)
    assert len(set(cnnviz.__all__)) == len(cnnviz.__all__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no public name is itself deprecated
        missing = [n for n in cnnviz.__all__ if getattr(cnnviz, n, None) is None]
    assert missing == []
    assert not set(cnnviz.__all__) & set(cnnviz._DEPRECATED)
    assert set(cnnviz.__all__) <= set(dir(cnnviz))


@pytest.mark.parametrize("name", sorted(cnnviz._DEPRECATED))
def test_a_deprecated_name_warns_once_and_is_its_new_home(name):
    module, attr = cnnviz._DEPRECATED[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(cnnviz, name)
    assert [w.category for w in caught] == [DeprecationWarning], [str(w.message) for w in caught]
    message = str(caught[0].message)
    assert message.startswith(f"cnnviz.{name} is deprecated; use ") and (attr or module) in message
    assert caught[0].filename == __file__  # it points at the line that used the old name
    home = _home(module, attr)
    assert value is home
    if not isinstance(home, types.ModuleType) and name not in UNLISTED:
        exported = importlib.import_module(module).__all__
        assert attr in exported, f"{module}.__all__ does not list {attr}"


def test_the_new_spelling_in_the_warning_works_as_written():
    namespace: dict = {}
    for name in cnnviz._DEPRECATED:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(cnnviz, name)
        spelling = str(caught[0].message).split("; use ", 1)[1]
        code = spelling if spelling.startswith("from ") else f"import cnnviz\nvalue = {spelling}"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(code, namespace)  # noqa: S102


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_submodule_says_what_it_exports_and_each_name_resolves(name):
    module = importlib.import_module(f"cnnviz.{name}")
    assert isinstance(getattr(module, "__all__", None), list), f"cnnviz.{name} has no __all__"
    assert [n for n in module.__all__ if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", ["objectives", "param", "transforms"])
def test_the_old_optvis_import_paths_warn_and_give_the_same_functions(name):
    import sys

    sys.modules.pop(f"cnnviz.{name}", None)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            old = importlib.import_module(f"cnnviz.{name}")
        assert [str(w.message) for w in caught] == [f"cnnviz.{name} moved to cnnviz.optvis.{name}; import it from there "
                                                    "(the old path goes in the next release)."]
        new = importlib.import_module(f"cnnviz.optvis.{name}")
        assert old.__all__ == new.__all__ and all(getattr(old, n) is getattr(new, n) for n in new.__all__)
    finally:
        sys.modules.pop(f"cnnviz.{name}", None)
        cnnviz.__dict__.pop(name, None)  # the import set the package attribute: the alias warns again
