"""What Streamlit does after every script run, made fit for a server whose sessions share TensorFlow.

After each run of each session Streamlit (1.67) does two things meant for a one-user script:

- ``keras.backend.clear_session()``: it replaces Keras' per-thread global state for *every* thread (a session in
  the middle of building or tracing a model loses its scopes and name counters), empties TensorFlow's eager
  kernel cache (every other session's next ops are set up again) and runs a full garbage collection;
- ``gc.collect(2)`` (``runner.postScriptGC``): a second full collection.

With TensorFlow loaded a full collection walks ~400,000 objects while holding the GIL, and a session's quick
reruns (a slider moved, a page left) each paid for two, so under 20 sessions the server spent its time
collecting and the pages that really compute (class images) waited minutes. The dashboard needs neither: each
model lives in a bounded cache whose evictions give their memory back (:mod:`cnnviz.dashboard.memory`), and
Python's own generational collection still runs. :func:`keep_shared_state` keeps the one harmless part
(closing pyplot figures; cnnviz makes no pyplot figures) and drops the rest, once per server process.

Python's own full collections still walk TensorFlow's objects, so once TensorFlow is imported the server
freezes what exists then (:func:`freeze_imports`: modules, and at most the model of the run that imported it,
a few MiB): a full collection then costs ~0.15 s less, and sees only what the sessions made since.

>>> keep_shared_state()
>>> from streamlit import config
>>> config.get_option("runner.postScriptGC")
False
"""

from __future__ import annotations

import gc
import sys
from typing import Any

WHERE = "cnnviz dashboard (cnnviz.dashboard.between_runs)"


def close_pyplot_figures() -> None:
    """What is left of Streamlit's after-run cleaning: pyplot's open figures closed (Keras left alone)."""
    pyplot: Any = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def keep_shared_state() -> None:
    """Stop Streamlit's after-run ``clear_session()`` and full collection in this server process (see the module
    docstring); a Streamlit without them is left as it is."""
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    config.set_option("runner.postScriptGC", False, WHERE)
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = close_pyplot_figures


def freeze_imports() -> None:
    """Collect, then move everything alive into the collector's permanent generation (``gc.freeze``), once, when
    TensorFlow and Keras have just been imported: ~400,000 objects that live as long as the process. Models
    loaded later are not frozen, so an evicted one is still collected."""
    gc.collect()
    gc.freeze()
