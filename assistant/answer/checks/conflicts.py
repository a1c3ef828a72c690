"""Passages that disagree with the answer: another figure of the same measure for the same thing."""

from __future__ import annotations

import re
from ...text import split_sentences, stemmer
from ...types import SentenceCheck
from .asked import MEASURES


MONEY = re.compile(
    r"(?P<cur>[$£€])\s?(?P<num>\d[\d,]*(?:\.\d+)?)(?:\s*(?P<scale>million|billion|trillion|thousand|[mbk]n?)\b)?", re.I
)
CURRENCY = {"$": "dollar", "£": "pound", "€": "euro"}
SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "b": 1e9, "bn": 1e9}
SCALE["trillion"] = 1e12


def measures(text: str) -> list[tuple[str, str, str]]:
    """Each number with the measure word right after it: '190 miles' → ('190', 'mile', '190 miles'); an amount of
    money with its scale: '$250 million' → ('250000000', 'dollar', '$250 million')."""
    out = []
    for m in re.finditer(r"(?<![\w.$£€])(\d[\d,]*(?:\.\d+)?)\s*(?:-\s*)?([A-Za-z%]+)", text):
        word = m.group(2)
        unit = "percent" if word == "%" else stemmer().stemWord(word.lower())
        if unit in MEASURES:
            out.append((m.group(1).replace(",", ""), unit, m.group(0)))
    for m in MONEY.finditer(text):
        value = float(m["num"].replace(",", "")) * SCALE.get((m["scale"] or "").lower(), 1.0)
        out.append((f"{value:.0f}", CURRENCY[m["cur"]], m.group(0)))
    return out


# a question that names a time ("in October", "in 2023", "on 5 November") asks about then, not about the newest figure
NAMES_A_TIME = re.compile(r"\b(?:19|20)\d\d\b|\b(?:first|originally|initially|previously|before|earlier)\b", re.I)


def conflict_notes(
    question: str, sentences: list[SentenceCheck], seen: dict[int, str], dates: dict[int, str] | None = None
) -> list[SentenceCheck]:
    """When a passage the answer does not cite gives another figure of the same measure for the same thing (the
    answer says 190 miles [1]; passage [2] says the ATACMS range is 900 miles), a sentence saying so, citing it:
    the reader sees the passages disagree instead of one figure picked silently. The other sentence must share two
    content words with the question and name a name the question names (ATACMS), if it names any.

    With the passages' publication days (``dates``: n → published_at), the figures are dated: when the other passage
    is newer than every passage the sentence cites, the answer gives the newer figure (the sentence is rewritten to
    it, citing the newer passage; ``repaired_from`` keeps what it cited) and the note says the older figure and its
    day ("An older passage, of 5 November 2023, gave 190 miles [1]."); when it is older, the note says so ("An
    older passage, of 5 November 2023, gives 900 miles instead [2]."). A question that names a time ("in October",
    "first") keeps the figure it was given. Without dates, or on the same day, the passages simply conflict."""
    from ...text import content_terms, entities_in, entity_occurs
    from ...text.dates import DATE
    from ...types import day_in_words, published_day

    days = {n: published_day(v) for n, v in (dates or {}).items()}
    swap_allowed = not (NAMES_A_TIME.search(question) or DATE.search(question))
    asked_terms = content_terms(question)
    names = entities_in(question)  # the thing asked about: a figure of another thing is no conflict
    notes: list[SentenceCheck] = []
    flagged: set[tuple[int, str]] = set()
    for s in sentences:
        if not s.supported:
            continue
        for number, unit, shown in measures(s.claim):
            swapped = False
            for n, text in seen.items():
                if n in s.cited or swapped:
                    continue
                for sentence in split_sentences(text):
                    shared = asked_terms & content_terms(sentence)
                    if len(shared) < min(2, len(asked_terms)):
                        continue
                    if names and not any(entity_occurs(e, sentence.lower()) for e in names):
                        continue
                    other = next((m for m in measures(sentence) if m[1] == unit and m[0] != number), None)
                    if not other or (n, other[0]) in flagged:
                        continue
                    flagged.add((n, other[0]))
                    cited_days = [days.get(c) for c in s.cited]
                    mine = max(cited_days) if cited_days and all(cited_days) else None  # type: ignore[type-var]
                    theirs = days.get(n)
                    if mine and theirs and theirs > mine and swap_allowed and shown in s.text:
                        old_cited = list(s.cited)
                        marks = "".join(f"[{c}]" for c in old_cited)
                        s.text = re.sub(r"(?:\s*\[\d+\])+", f" [{n}]", s.text.replace(shown, other[2], 1), count=1)
                        s.claim = s.claim.replace(shown, other[2], 1)
                        s.repaired_from, s.cited = old_cited, [n]
                        s.evidence = {n: sentence}
                        claim = f"An older passage, of {day_in_words(mine.isoformat())}, gave {shown}"
                        notes.append(SentenceCheck(f"{claim} {marks}.", claim, old_cited, True, "", "conflict"))
                        swapped = True
                        break
                    if mine and theirs and theirs < mine:
                        claim = f"An older passage, of {day_in_words(theirs.isoformat())}, gives {other[2]} instead"
                    else:
                        claim = f"Another passage gives {other[2]} instead, so the passages conflict"
                    notes.append(
                        SentenceCheck(f"{claim} [{n}].", claim, [n], True, "", "conflict", evidence={n: sentence})
                    )
    return notes


def note_conflicts(verification, question: str, seen: dict[int, str], dates: dict[int, str]) -> None:
    """``conflict_notes`` applied to a verified answer: sentences rewritten to a newer figure are rewritten in its
    text, and the notes follow it."""
    before = [s.text for s in verification.sentences]
    notes = conflict_notes(question, verification.sentences, seen, dates)
    for old, s in zip(before, verification.sentences):
        if s.text != old:
            verification.answer = verification.answer.replace(old, s.text, 1)
    if notes:
        verification.sentences.extend(notes)
        verification.answer = " ".join([verification.answer] + [n.text for n in notes])


# ---- an answer as precise as its evidence
