"""Sanitize: article text is untrusted. Three small functions, one per place it can do harm.

- ``normalize_text`` (at load): NFKC, then drop Unicode format characters (category Cf: zero-width space/joiner,
  bidi overrides, soft hyphen, BOM...) and control characters except newline and tab. "ig\u200bnore" and full-width
  "ｉｇｎｏｒｅ" become plain "ignore", so every later check (the prompt's instruction filter, BM25, the verifier's
  number and name checks) sees the words a reader sees. ANSI escape sequences are removed as a whole here too.
- ``defuse_citations`` (at load and in the prompt's copy of a passage): a citation-like marker that stands in an
  article ("[3]", "[1, 2]") would be read as a citation of another passage once a sentence of that article is quoted
  in an answer (the extractive backend quotes sentences verbatim; a model may copy them), so it becomes "(3)".
- ``for_terminal`` (at output): everything printed that came from an article (titles, passages, answers that quote
  them, file names) loses ANSI CSI/OSC/DCS sequences and C0/C1 control characters, so a stored article cannot clear
  the screen, set the window title or write hyperlinks into the user's terminal. ``for_json_output`` escapes the C1
  controls that ``json.dumps(ensure_ascii=False)`` would print raw (C0 are always escaped), keeping the data exact.

- ``fold_confusables`` (for the prompt's instruction filter only): letters that look like Latin ones (Cyrillic "Ѕуѕtеm",
  Greek "Αnswer") folded to them, from Unicode's confusables data (``confusable_homoglyphs``), one character for one,
  so a filter's match on the folded copy is at the same place in the text.

Escape sequences are matched by a few regular expressions over the ECMA-48 grammar (CSI, OSC/DCS/SOS/PM/APC up to
their terminator, two-character ESC sequences, and their 8-bit C1 forms); no dependency is added for it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from . import CITATION

# ECMA-48: CSI (ESC [ or 8-bit 0x9b) params/intermediates final; OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ or 8-bit) ...
# up to ST (ESC \ or 0x9c) or BEL, or unterminated to the end; two-character ESC sequences (ESC c, ESC 7 ...).
ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])(?:[^\x07\x1b\x9c]*)(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]?"
)
# C0 except tab and newline, DEL, C1
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _drop_format_chars(text: str) -> str:
    """The text without its format characters (category Cf). Only the distinct characters are looked up (a set,
    built in C), and those found are removed by one regular expression: a 200 MB text is never walked in Python."""
    if text.isascii():
        return text
    found = sorted(ch for ch in set(text) if unicodedata.category(ch) == "Cf")
    return re.compile("[" + "".join(map(re.escape, found)) + "]").sub("", text) if found else text


SURROGATE = re.compile("[\ud800-\udfff]")
NOT_ELLIPSIS = re.compile("[^…]+")


def normalize_text(text: str) -> str:
    """NFKC, without escape sequences, format characters, control characters or lone surrogates (a JSON "\\ud800"
    escape decodes to one; it cannot be written as UTF-8) — newline and tab kept; CRLF → LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = SURROGATE.sub("", text)
    if "\x1b" in text or not text.isascii():  # the escape-sequence scan is the slow one: skip it when it can't match
        text = ANSI.sub("", text)
    text = CONTROL.sub("", _drop_format_chars(text))  # before NFKC, so what they split composes
    # NFKC, except that "…" stays one character (NFKC spells it "...", and titles cut by the loader end with it);
    # a text already in that form (most are; ASCII always) is returned as it is, never split and joined again
    if text.isascii():
        return text
    if "…" not in text:
        return unicodedata.normalize("NFKC", text)
    if all(unicodedata.is_normalized("NFKC", part.group()) for part in NOT_ELLIPSIS.finditer(text)):
        return text
    return "…".join(unicodedata.normalize("NFKC", part) for part in text.split("…"))


def defuse_citations(text: str) -> str:
    """'as reported [3]' → 'as reported (3)': article text never holds a marker the citation parser would read."""
    if "[" not in text:
        return text
    return CITATION.sub(
        lambda m: m.group()[: len(m.group()) - len(m.group().lstrip())] + "(" + m.group().strip()[1:-1] + ")", text
    )


def for_terminal(text: str) -> str:
    """Text safe to print: no escape sequences, no control characters but newline and tab, no bidi overrides."""
    text = ANSI.sub("", text)
    text = CONTROL.sub("", text)
    return re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)


def for_json_output(text: str) -> str:
    """A JSON document with its raw C1 control characters written as \\u escapes (same data, safe to print)."""
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


@lru_cache(maxsize=1)
def _confusable_table() -> dict[int, str]:
    """Every non-ASCII character that Unicode's confusables data says looks like a Latin letter → that letter (an
    upper-case one that looks like "l" is an "I")."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        letter = next((g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()), None)
        if letter is not None:
            table[ord(char)] = "I" if letter == "l" and char.isupper() else letter
    return table


def fold_confusables(text: str) -> str:
    """The text with look-alike letters folded to the Latin ones they imitate ("Ѕуѕtеm" → "System"), each character
    to one: a match in the folded copy is at the same offsets in the text. For detection, never for display."""
    if text.isascii():
        return text
    return text.translate(_confusable_table())
