"""Passages that disagree with the answer: another figure of the same measure for the same thing."""

from __future__ import annotations

import re
from ...text import split_sentences, stemmer
from ...types import SentenceCheck
from .asked import MEASURES


def measures(text: str) -> list[tuple[str, str, str]]:
    """Each number with the measure word right after it: '190 miles' → ('190', 'mile', '190 miles')."""
    out = []
    for m in re.finditer(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(?:-\s*)?([A-Za-z%]+)", text):
        word = m.group(2)
        unit = "percent" if word == "%" else stemmer().stemWord(word.lower())
        if unit in MEASURES:
            out.append((m.group(1).replace(",", ""), unit, m.group(0)))
    return out


def conflict_notes(question: str, sentences: list[SentenceCheck], seen: dict[int, str]) -> list[SentenceCheck]:
    """When a passage the answer does not cite gives another figure of the same measure for the same thing (the
    answer says 190 miles [1]; passage [2] says the ATACMS range is 900 miles), a sentence saying so, citing it:
    the reader sees the passages disagree instead of one figure picked silently."""
    from ...text import content_terms

    asked_terms = content_terms(question)
    notes: list[SentenceCheck] = []
    flagged: set[tuple[int, str]] = set()
    for s in sentences:
        if not s.supported:
            continue
        for number, unit, _ in measures(s.claim):
            for n, text in seen.items():
                if n in s.cited:
                    continue
                for sentence in split_sentences(text):
                    shared = asked_terms & content_terms(sentence)
                    if len(shared) < min(2, len(asked_terms)):
                        continue
                    other = next((m for m in measures(sentence) if m[1] == unit and m[0] != number), None)
                    if other and (n, other[0]) not in flagged:
                        flagged.add((n, other[0]))
                        claim = f"Another passage gives {other[2]} instead, so the passages conflict"
                        notes.append(
                            SentenceCheck(f"{claim} [{n}].", claim, [n], True, "", "conflict", evidence={n: sentence})
                        )
    return notes


# ---- an answer as precise as its evidence
