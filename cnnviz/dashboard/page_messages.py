"""What a page says: a failure as one short line (never a server path), a tutorial note, and
:func:`run_page` that turns a page's exception into that line.
"""

from __future__ import annotations

import re
import time

import streamlit as st

import cnnviz

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.@+-]+){2,}[/\\]?")


def scrub_paths(text: str) -> str:
    """Server file paths replaced by their last part (the user has no business with the server's folders).

    >>> scrub_paths("cannot read /tmp/cnnviz-dashboard/uploads/upload-1.keras now")
    'cannot read upload-1.keras now'
    """
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], text)


def short_message(exc: BaseException) -> str:
    """One line for the user: cnnviz's own errors as they are, anything else with its type; no server paths."""
    from cnnviz.core.messages import describe_error, one_line

    if isinstance(exc, (cnnviz.DataError, cnnviz.ModelError, ValueError)):
        return scrub_paths(one_line(exc, 400))
    return scrub_paths(describe_error(exc, 400))


def show_error(exc: BaseException) -> None:
    """A page failed: a short message, and the details (type, whole message; never a traceback or a server
    path) in an expander that is closed by default."""
    from cnnviz.core.messages import one_line

    st.error(f"This page could not be shown: {short_message(exc)}", icon=":material/error:")
    with st.expander("Details", expanded=False):
        st.code(scrub_paths(f"{type(exc).__module__}.{type(exc).__qualname__}: {one_line(exc, 4000)}"),
                language=None, wrap_lines=True)
        st.caption("Try another model or input; if it keeps failing, report the details above.")


def run_page(page) -> None:
    """Run a Streamlit page; any exception becomes :func:`show_error` (Streamlit's rerun/stop pass through:
    they are not Exceptions). With ``CNNVIZ_PAGE_LOG`` set, each run's time goes to that file
    (:mod:`cnnviz.dashboard.page_times`)."""
    from cnnviz.dashboard import page_times

    started, outcome = time.perf_counter(), "ok"
    try:
        page.run()
    except Exception as exc:
        outcome = f"error {type(exc).__name__}"
        show_error(exc)
    except BaseException as exc:  # Streamlit's rerun or stop: the run ended early, by design
        outcome = type(exc).__name__
        raise
    finally:
        page_times.record(getattr(page, "title", type(page).__name__), started, outcome)


def tutorial_note(text: str) -> None:
    """A note, in our own words, that ties a page to the part of the tutorial it brings to life."""
    st.caption(f"Tutorial: {text}")
