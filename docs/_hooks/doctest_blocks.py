"""mkdocs hook: a docstring's doctest (``>>>`` lines and their output) is shown as a Python code block.

Python-Markdown reads ``>>>`` as three nested quotes; every docstring example in cnnviz is a doctest, so the
API reference needs this one rule. Fenced blocks are left as they are.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

FENCE = re.compile(r"^\s*(```|~~~)")


class DoctestBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fenced = in_doctest = False
        indent = ""
        for line in lines:
            if FENCE.match(line):
                fenced = not fenced
            if not fenced and not in_doctest and line.lstrip().startswith(">>>"):
                indent = line[: len(line) - len(line.lstrip())]
                if out and out[-1].strip():
                    out.append("")
                out.append(f"{indent}```pycon")
                in_doctest = True
            elif in_doctest and not line.strip():
                out.append(f"{indent}```")
                in_doctest = False
            out.append(line)
        if in_doctest:
            out.append(f"{indent}```")
        return out


class DoctestExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.register(DoctestBlocks(md), "doctest_blocks", 40)  # before the fences (superfences: 32)


@event_priority(100)  # before mkdocstrings reads the Markdown extensions
def on_config(config):
    config.markdown_extensions.append(DoctestExtension())
    return config
