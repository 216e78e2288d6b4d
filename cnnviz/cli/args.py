"""What the flags say, shared by the commands: the model (--model, --card, --input-range, --class-names,
--convention), a list of classes, a number within a range."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path


def model_facts(args: argparse.Namespace) -> dict:
    """What --card FILE, --input-range, --class-names and --convention say about the model (flags win over the
    card file); empty when none is given."""
    import json

    from ..core.contract import parse_range

    said: dict = {}
    card = getattr(args, "card", None)
    if card:
        try:
            facts = json.loads(Path(card).expanduser().read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--card {card}: cannot read it as a JSON model card ({exc}).") from None
        if not isinstance(facts, dict):
            raise ValueError(f"--card {card}: a model card is a JSON object with input_range, class_names, convention.")
        said.update({k: facts[k] for k in ("input_range", "class_names", "convention") if facts.get(k) is not None})
    if getattr(args, "input_range", None):
        said["input_range"] = parse_range(args.input_range)
    if getattr(args, "class_names", None):
        said["class_names"] = [n.strip() for n in args.class_names.split(",")]
    if getattr(args, "convention", None):
        said["convention"] = args.convention
    return said


def model_of(args: argparse.Namespace):
    """The model of --model (default: the shipped one), described by the flags for this command only; a given
    range that contradicts the card is said on stderr."""
    from ..core.model import load_model

    model = load_model(getattr(args, "model", None))
    said = model_facts(args)
    if not said:
        return model
    from ..core.build import describe

    described = describe(model, **said)
    for warning in described.warnings:
        print(f"cnnviz {args.command}: warning: {warning}", file=sys.stderr)
    return described


def class_names_of(model) -> list[str]:
    """The class names of a (described) model: what every printed line calls a class."""
    from ..core.build import get_probe

    return list(get_probe(model).class_names)


_CLASS_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_classes(text: str) -> list[int]:
    """'6' -> [6]; '0-9' -> [0..9]; '1,3,5' -> [1, 3, 5]; anything else is a ValueError that says what to write.

    >>> parse_classes("1,3-5")
    [1, 3, 4, 5]
    >>> parse_classes("-1")
    Traceback (most recent call last):
    ...
    ValueError: class '-1' is not a class number: classes are numbered from 0; write a class (6), a list (1,3,5) or a range (0-9).
    """
    out: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _CLASS_PART.match(part)
        if not match:
            raise ValueError(f"class {part.strip()!r} is not a class number: classes are numbered from 0; "
                             "write a class (6), a list (1,3,5) or a range (0-9).")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo:
            raise ValueError(f"class range {part.strip()!r} runs backwards; write it low-high, e.g. 0-9.")
        if hi - lo >= 10_000:
            raise ValueError(f"class range {part.strip()!r} is too long (at most 10,000 classes at once).")
        out.extend(range(lo, hi + 1))
    if not out:
        raise ValueError(f"no class given in {text!r}; write a class (6), a list (1,3,5) or a range (0-9).")
    return out


def number_in(kind: type, lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a ``kind`` (int or float) within lo..hi, else one line saying the allowed range."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not (lo <= value <= hi):  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text} is out of range: use {lo:g} to {hi:g}")
        return value

    parse.__name__ = kind.__name__
    return parse


def note_blank(images) -> None:
    """Print the blank-image note for the prepared images that are blank."""
    from ..io.data import BLANK_NOTE, is_blank

    if len(images) and is_blank(images).any():
        print(f"note: {BLANK_NOTE}")
