"""Plain text and Markdown files: the first line (or the first ``# heading``) is the title."""

from __future__ import annotations

import re
from pathlib import Path

from ..types import Document
from .documents import make_document

# where str.splitlines() breaks lines, and what a line holds
LINE_BREAK = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
LINE = re.compile(f"[^{LINE_BREAK}]*")
HEADING = re.compile(f"(?<=[{LINE_BREAK}])# [^{LINE_BREAK}]*")
RARE_BREAK = re.compile(f"[{LINE_BREAK[1:]}]")  # any but "\n"
SPACE = re.compile(r"\s*")  # what str.strip() strips


def text_document(path: Path, text: str) -> Document:
    """The first line (or the first ``# heading``) is the title. Read as ``text.strip().splitlines()`` would give
    it, without making that list or a stripped copy (each as big as the text)."""
    start = SPACE.match(text).end()  # type: ignore[union-attr]  # \s* always matches
    end = len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    line = LINE.match(text, start, end)
    assert line is not None  # [^...]* always matches
    first = line.group().strip()
    if first.startswith("#"):
        after = line.end() + (2 if text.startswith("\r\n", line.end()) else 1)
        rest = text[after:end] if after < end else ""
        return make_document(
            path, first.lstrip("#").strip(), "\n".join(rest.splitlines()) if RARE_BREAK.search(rest) else rest
        )
    found = HEADING.search(text, line.end(), end)
    heading = found.group().lstrip("#").strip() if found else ""
    if heading:
        return make_document(path, heading, text)
    # plain text: the first line is the title when it reads like one, and it stays in the body either way
    title = first if len(first) <= 200 else first[:120].rsplit(" ", 1)[0] + "…"
    return make_document(path, title, text)
