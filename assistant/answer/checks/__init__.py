"""Does the answer answer the question? Checked after the citations, on the verified answer.

A sentence can be stated by its passage and still not answer what was asked: a distance given for "how many
missiles", a year-old result for "who won in 2021", the loser's name for "who won". The verifier passes those (every
name and number is in the cited passage); these checks catch them. ``Asked`` is what the question asks for, parsed
once; each check returns the reason it failed, or None:

- ``kind``: the answer gives a value of the asked kind: "when" a date, "what year" a year, "how many <things>" a count
  (not a distance, a share or an amount of money), "how much does it cost" an amount of money, "who"/"where" a name
  the question does not already give.
- ``year``: each year the question states ("in 2021", "the 2021 final") is a claim of the cited passages: in their
  text, not only as "since 2021" / "until 2021" / "before 2021", or the year they were published.
- ``winner``: a "who won" answer is not the name its cited sentences give only as the loser ("X lost to Y",
  "Y defeated X").
- ``runner-up``: a "who was the runner-up" answer is a name its cited passage gives near a word of losing or coming
  second, and not only as the winner ("France beat Croatia" does not make France the runner-up).

``precise_dates`` completes a "when" answer's date from its evidence sentence ("November 15" → "November 15, 2020").

When a check fails, the pipeline answers again from the passages that could satisfy it (``could_answer``), and when
none can, or the second answer fails too, it refuses and keeps the withheld answer in ``unsupported``.
"""

from __future__ import annotations

from .asked import Asked, parse_question
from .conflicts import conflict_notes, note_conflicts
from .precision import complete_dates, precise_dates
from .registry import CHECKS, OTHER_ONE, check_answer, could_answer

__all__ = [
    "Asked",
    "CHECKS",
    "OTHER_ONE",
    "check_answer",
    "complete_dates",
    "conflict_notes",
    "could_answer",
    "note_conflicts",
    "parse_question",
    "precise_dates",
]
