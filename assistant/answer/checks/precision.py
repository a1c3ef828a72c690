"""An answer as precise as its evidence: a "when" answer's date completed from its evidence sentence."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from .asked import Asked

if TYPE_CHECKING:
    from ..verify import Verification


def _dates(text: str) -> list[tuple[re.Match, int, int | None, int | None]]:
    """(match, month, day or None, year or None) for each date the text states ("November 15", "15 November 2020",
    "May 2012")."""
    from ...text.dates import DATE as DATES, MONTHS

    out = []
    for m in DATES.finditer(text):
        g = m.groupdict()
        if g["iso"]:
            continue
        month = g["md_m"] or g["dm_m"] or g["my_m"]
        day = g["md_d"] or g["dm_d"]
        year = g["md_y"] or g["dm_y"] or g["my_y"]
        key = month.lower().rstrip(".")
        if key not in MONTHS:
            continue
        out.append((m, MONTHS[key], int(day) if day else None, int(year) if year else None))
    return out


def complete_dates(sentence: str, evidence: list[str]) -> str:
    """A date the answer gives without its year ("premieres November 15") or its day ("released in May 2012") is
    completed from the one date of its evidence sentences that extends it ("released ... on 15 November 2020" →
    "November 15, 2020"); left as it is when the evidence holds none, or more than one."""
    found = [d for e in evidence for d in _dates(e)]
    out, last = [], 0
    for m, month, day, year in _dates(sentence):
        if day and year or not (day or year):
            continue
        fits = {(month, d, y) for _, mo, d, y in found if mo == month and d and y and (d == day if day else y == year)}
        if len(fits) != 1:
            continue
        _, d, y = next(iter(fits))
        name = (m.group("md_m") or m.group("dm_m") or m.group("my_m")).rstrip(".")
        before = sentence[last : m.start()]
        if not day:  # "released in May 2012" → "released on May 15, 2012"
            before = re.sub(r"\bin(\s+)$", r"on\1", before)
        out.append(before + f"{name} {d}, {y}")
        last = m.end()
    return "".join(out) + sentence[last:] if out else sentence


def precise_dates(asked: Asked, verification: Verification) -> Verification:
    """For a "when" question: each supported sentence's dates completed from its evidence (``complete_dates``), in
    the sentence and in the answer's text."""
    if verification.refused or asked.kind != "date":
        return verification
    answer, sentences = verification.answer, []
    for sc in verification.sentences:
        text = complete_dates(sc.text, list(sc.evidence.values())) if sc.supported else sc.text
        if text != sc.text:
            answer = answer.replace(sc.text, text, 1)
            sc = replace(sc, text=text, claim=complete_dates(sc.claim, list(sc.evidence.values())))
        sentences.append(sc)
    return replace(verification, answer=answer, sentences=sentences)
