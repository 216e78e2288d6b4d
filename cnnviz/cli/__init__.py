"""The ``cnnviz`` command: a thin layer over the library's calls.

    cnnviz train --recipe fast --epochs 3 -o my_model.keras
    cnnviz evaluate [MODEL] --out confusion.png
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from . import datasets, documents, looking, serve, training
from .parser import build_parser, check_outputs
from .serve import pick_port, port_is_free

__all__ = ["COMMANDS", "build_parser", "main", "pick_port", "port_is_free"]

#: command name -> its handler (each module of this package holds one group of commands)
COMMANDS: dict[str, Callable] = {**training.COMMANDS, **looking.COMMANDS, **documents.COMMANDS,
                                 **datasets.COMMANDS, **serve.COMMANDS}

#: commands that never need TensorFlow (they start without importing it)
WITHOUT_TENSORFLOW = frozenset({"dashboard"})


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the input was wrong" (one line, exit 2), from the modules loaded so far:
    a DataError can only come from cnnviz.io.data once it is imported, so the CLI never imports it for that."""
    found: list[type[BaseException]] = [ValueError, FileNotFoundError]
    for module, name in (("cnnviz.io.data", "DataError"), ("cnnviz.core.model", "ModelError")):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cnnviz`` console script: every error is one line on stderr (exit 2), never a
    traceback (set CNNVIZ_DEBUG=1 to see one)."""
    import warnings

    from PIL import Image

    # the console script owns its process: PIL's warning about large images is noise next to cnnviz's own line
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    args = build_parser().parse_args(argv)  # --version and --help end here, before TensorFlow is imported
    from ..style import headless

    headless()  # this process draws to files: no display needed (a library import never picks a backend)
    from ..core.messages import describe_error, one_line

    try:
        check_outputs(args)
        if args.command not in WITHOUT_TENSORFLOW:
            from .._quiet import import_tensorflow_quietly

            import_tensorflow_quietly()  # its C++ start-up lines are noise in a terminal
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"cnnviz {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if isinstance(exc, _user_errors()):  # wrong input: one line saying what and what to do
            print(f"cnnviz {args.command}: error: {one_line(exc, 2000)}", file=sys.stderr)
            return 2
        if os.environ.get("CNNVIZ_DEBUG"):  # anything else: still one line, with a way to see more
            raise
        print(f"cnnviz {args.command}: error: {describe_error(exc)} (set CNNVIZ_DEBUG=1 to see the traceback)",
              file=sys.stderr)
        return 1
