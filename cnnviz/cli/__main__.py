"""``python -m cnnviz.cli ...`` is the ``cnnviz`` command."""

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
