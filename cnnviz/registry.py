"""One way to look things up by name: a :class:`Registry` of one kind of thing.

Attribution methods, strategies, parameterisations, transforms, objectives, regularization presets,
training recipes and report sections are each a ``Registry``: ``register`` adds a name, ``get`` returns
it or raises :class:`UnknownName`, one line that says what kind of thing was asked for and lists the
names there are. A registry reads like a dict (``name in r``, ``r[name]``, ``list(r)``, ``r.items()``),
in the order of ``names()``.

>>> shapes = Registry("shape")
>>> @shapes.register("square")
... def square(side):
...     return side * side
>>> shapes.register("circle", lambda r: 3.14159 * r * r)  # doctest: +ELLIPSIS
<function <lambda> at ...>
>>> shapes.names(), shapes.get("square")(3)
(['square', 'circle'], 9)
>>> shapes.get("triangle")
Traceback (most recent call last):
...
cnnviz.registry.UnknownName: unknown shape 'triangle'; use one of: square, circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_MISSING: Any = object()


class UnknownName(ValueError):
    """A name that is not in a :class:`Registry` (the message lists the names that are)."""


class Registry(Mapping[str, T], Generic[T]):
    """Named things of one ``kind`` (what the error calls them: "attribution method", "recipe").

    ``verb`` and ``hint`` shape the error's end: ``unknown {kind} {name!r}; {verb} one of: {names}{hint}.``
    ``order(name, value)`` sorts :meth:`names` (default: the order of registration).
    """

    def __init__(self, kind: str, *, verb: str = "use", hint: str = "",
                 order: Callable[[str, T], Any] | None = None) -> None:
        self.kind, self.verb, self.hint, self._order = kind, verb, hint, order
        self._items: dict[str, T] = {}

    def register(self, name: str, value: T = _MISSING) -> Any:
        """Add ``value`` as ``name`` and return it; without ``value``, a decorator that does so."""
        if value is _MISSING:
            return lambda v: self.register(name, v)
        self._items[name] = value
        return value

    def pop(self, name: str, default: Any = _MISSING) -> Any:
        """Remove ``name`` and return what was registered (``default`` when nothing was; else KeyError)."""
        if default is _MISSING:
            return self._items.pop(name)
        return self._items.pop(name, default)

    def names(self) -> list[str]:
        """The registered names, in order."""
        if self._order is None:
            return list(self._items)
        return sorted(self._items, key=lambda n: self._order(n, self._items[n]))

    def error(self, name: Any) -> UnknownName:
        """The one-line error for a name that is not registered."""
        return UnknownName(f"unknown {self.kind} {name!r}; {self.verb} one of: {', '.join(self.names())}{self.hint}.")

    def get(self, name: Any, default: Any = _MISSING) -> Any:
        """The thing registered as ``name``; :class:`UnknownName` when there is none (``default`` instead, if given)."""
        if isinstance(name, str) and name in self._items:
            return self._items[name]
        if default is not _MISSING:
            return default
        raise self.error(name)

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self.names())})"


__all__ = ["Registry", "UnknownName"]
