"""What every public call does with its keyword options: unknown ones are a one-line error naming the ones it
takes (never dropped), and ``input_range=`` / ``class_names=`` / ``convention=`` describe the model for that
call only (:func:`cnnviz.describe` makes the view; nothing is remembered).

>>> import cnnviz
>>> cnnviz.predict(cnnviz.load_sample().x_test[:1], input_rnage=(0, 255))
Traceback (most recent call last):
...
cnnviz.core.options.UnknownOption: predict() has no option 'input_rnage'; it takes: model, input_range, batch_size, class_names, convention.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

#: What a caller may say about the model on any call that takes one (for that call only).
DESCRIBE = ("input_range", "class_names", "convention")


class UnknownOption(ValueError, TypeError):
    """A keyword option the call does not take (a ValueError; also a TypeError, as Python's own would be)."""


def public(fn: Callable, *, extra: Callable[[], Iterable[str]] | None = None) -> Callable:
    """``fn`` checked for unknown keyword options; if it takes ``model=``, also ``input_range=``,
    ``class_names=`` and ``convention=`` for that call. ``extra()``: the names its ``**options`` take."""
    sig = inspect.signature(fn)
    params = sig.parameters
    named = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    added = [d for d in DESCRIBE if "model" in params and d not in params]

    def known() -> list[str]:
        names = [n for n in named if params[n].kind is not params[n].POSITIONAL_ONLY]
        more = [n for n in (extra() if extra is not None else ()) if n not in names]
        if names and names[0] in ("image", "images", "output", "directory"):
            names = names[1:]
        return [*names, *more, *added]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        said = {d: kwargs.pop(d) for d in added if d in kwargs}
        allowed = set(named) | (set(extra()) if extra is not None else set())
        unknown = [k for k in kwargs if k not in allowed and not (var_kw and extra is None)]
        if unknown:
            raise UnknownOption(f"{fn.__name__}() has no option {', '.join(map(repr, unknown))}; it takes: "
                                f"{', '.join(known())}.")
        if any(v is not None for v in said.values()):
            from .build import describe

            bound = sig.bind_partial(*args, **kwargs)
            bound.arguments["model"] = describe(bound.arguments.get("model"), **said)
            return fn(*bound.args, **bound.kwargs)
        return fn(*args, **kwargs)

    extra_params = [inspect.Parameter(d, inspect.Parameter.KEYWORD_ONLY, default=None) for d in added]
    ordered = [p for p in params.values() if p.kind is not p.VAR_KEYWORD]
    ordered += extra_params + [p for p in params.values() if p.kind is p.VAR_KEYWORD]
    call.__signature__ = sig.replace(parameters=ordered)
    call.__wrapped_public__ = True
    return call

__all__ = ["UnknownOption", "public"]
