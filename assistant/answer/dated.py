"""Dated answers: a news fact is true as of a date.

- ``asks_recent`` reads whether a question asks for the newest state of things ("the latest", "currently", "now",
  "still", "most recent", "so far"); the Query reads it once (``Query.recent``), retrieval then prefers newer passages
  among the relevant ones (``index/retrieve.py``: ``recency_rerank``).
- ``DateEvidence``, the last step after generation (``answerer.default_steps``), says when the answer's evidence was
  published, per source: "As of 12 December 2023, per The Verge [3]; 5 November 2023, per TechCrunch [1]." The date
  comes from the cited passages' ``published_at`` (metadata, not the model), so the sentence is true by construction
  and carries ``check="dated"``. Passages without a date add nothing; an answer none of whose evidence is dated, or a
  refusal, is left as it is.
"""

from __future__ import annotations

import re
from datetime import date
from ..types import Passage, SentenceCheck, day_in_words, published_day

# a question about the newest state of things: "the latest", "currently", "still", "most recent", "so far", "now"
RECENT = re.compile(
    r"\b(?:latest|current|currently|now|nowadays|still|most\s+recent(?:ly)?|newest|so\s+far|to\s+date|as\s+of\s+"
    r"(?:today|now)|these\s+days|anymore|any\s+longer|right\s+now|at\s+present|presently|today)\b",
    re.I,
)
# "now" that is not about time: "know", "nowhere" are other words already; "now-defunct" still asks about the past
NOT_RECENT = re.compile(r"\bnow-\w+", re.I)


QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]|(?<!\w)[‘'][^‘’']*[’'](?!\w)")


def asks_recent(question: str) -> bool:
    """Does the question ask for the newest state of things ("Who is currently ...", "Is X still ...", "the latest
    figure")? Not when the word is inside a quotation (a title: "Chris Hammer's latest book"), nor when the question
    names a day ("the article published on October 1st": it asks about then). Read once per question
    (``Query.recent``)."""
    from ..text.dates import DATE

    text = QUOTED.sub(" ", NOT_RECENT.sub(" ", question))
    if any(m["iso"] or m["md_d"] or m["dm_d"] for m in DATE.finditer(question)):
        return False
    return bool(RECENT.search(text))


def short_source(source: str) -> str:
    """A source's name as a sentence says it: "Cnbc | World Business News Leader" → "Cnbc", "The Independent - Life
    and Style" → "The Independent"."""
    return re.split(r"\s+[|–—-]\s+", source.strip(), maxsplit=1)[0].strip()


def dateline(passage: Passage) -> str:
    """Where and when a passage was published, in the words a dated answer uses ("Published 18 November 2023, per
    Reuters."); "" without a date. The eval's judge reads it beside the passage, as the model reads its header."""
    day = day_in_words(passage.metadata.get("published_at", ""))
    if not day:
        return ""
    source = short_source(str(passage.metadata.get("source") or ""))
    return f"Published {day}" + (f", per {source}." if source else ".")


MAX_DATES = 4  # a note naming more (source, day) pairs than this names the newest ones


def dated_note(sentences: list[SentenceCheck], passages: list[Passage]) -> SentenceCheck | None:
    """A sentence saying when the evidence of the answer's supported sentences was published, per source and day,
    newest first: "As of 12 December 2023, per The Verge [3]; 5 November 2023, per TechCrunch [1]." None when no
    cited passage carries a date. Notes added by other steps (conflicts) are not the answer's evidence: they say
    their own dates."""
    by_n = {p.n: p for p in passages}
    cited: list[int] = []
    for s in sentences:
        if s.supported and s.check not in ("conflict", "dated"):
            cited += [n for n in s.cited if n in by_n and n not in cited]
    groups: dict[tuple[date, str], list[int]] = {}
    for n in cited:
        d = published_day(by_n[n].metadata.get("published_at", ""))
        if d is not None:
            groups.setdefault((d, short_source(str(by_n[n].metadata.get("source") or ""))), []).append(n)
    if not groups:
        return None
    parts = []
    for (d, source), ns in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1]), reverse=True)[:MAX_DATES]:
        marks = "".join(f"[{n}]" for n in sorted(ns))
        day = day_in_words(d.isoformat())
        parts.append(f"{day}, per {source} {marks}" if source else f"{day} {marks}")
    text = "As of " + "; ".join(parts) + "."
    shown = sorted({n for ns in groups.values() for n in ns})
    claim = re.sub(r"\s*\[\d+\]", "", text)
    return SentenceCheck(text, claim, shown, True, "", "dated")


class DateEvidence:
    """The step after the checks: the answer says when its evidence was published, per source (``dated_note``)."""

    name = "date evidence"

    def __call__(self, d) -> None:  # an answerer.Draft (not imported: the answerer imports this module)
        v = d.verification
        if v is None or v.refused or not d.passages:
            return
        note = dated_note(v.sentences, d.passages)
        if note is not None:
            v.sentences.append(note)
            v.answer = f"{v.answer} {note.text}"
