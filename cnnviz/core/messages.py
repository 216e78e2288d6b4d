"""Error messages fit for one line: no terminal colour codes, no line breaks, never cut mid-sentence.

>>> one_line("\\x1b[1mRequested the deserialization of a Lambda layer.\\x1b[0m\\nIt may run code. Pass safe_mode=False.")
'Requested the deserialization of a Lambda layer. It may run code. Pass safe_mode=False.'
>>> one_line("First sentence. " + "x" * 500, limit=40)
'First sentence. ...'
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def one_line(message: BaseException | str, limit: int = 600) -> str:
    """``message`` on one line, without ANSI colour codes; when longer than ``limit``, cut after the last
    whole sentence that fits (or at a word) and marked with "..."."""
    text = " ".join(_ANSI.sub("", str(message)).split())
    if len(text) <= limit:
        return text
    head = text[: limit - 4]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "), head.rfind(": "))
    if end > limit // 4:
        return head[: end + 1] + " ..."
    return head.rsplit(" ", 1)[0] + " ..."


def describe_error(exc: BaseException, limit: int = 600) -> str:
    """``Type: message`` on one line (see :func:`one_line`).

    >>> describe_error(ValueError("\\x1b[31mbad\\x1b[0m shape\\n  more"))
    'ValueError: bad shape more'
    """
    text = one_line(exc, limit)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
