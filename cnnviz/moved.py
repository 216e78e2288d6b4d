"""One idiom for a module that moved: its old path keeps working for one release and warns on import.

An alias module is two lines (``cnnviz/param.py``)::

    from .moved import moved
    moved(__name__, "cnnviz.optvis.param", globals())

>>> import types, warnings
>>> old = types.ModuleType("cnnviz.old_place")
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     moved("cnnviz.old_place", "cnnviz.registry", vars(old))
>>> old.Registry is __import__("cnnviz.registry").registry.Registry, str(caught[0].message)[:40]
(True, 'cnnviz.old_place moved to cnnviz.registr')
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

__all__ = ["moved"]


def moved(old: str, new: str, namespace: dict[str, Any]) -> None:
    """Make the module whose globals are ``namespace`` (path ``old``) an alias of ``new``: its public names, any
    other attribute looked up through it, ``dir()``, and one DeprecationWarning naming the new path."""
    target = importlib.import_module(new)
    names = list(getattr(target, "__all__", [n for n in vars(target) if not n.startswith("_")]))
    namespace.update({name: getattr(target, name) for name in names})
    namespace["__all__"] = names
    namespace["__getattr__"] = lambda name: getattr(target, name)
    namespace["__dir__"] = lambda: dir(target)
    warnings.warn(f"{old} moved to {new}; import it from there (the old path goes in the next release).",
                  DeprecationWarning, stacklevel=3)
