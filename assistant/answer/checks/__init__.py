"""Does the answer answer the question? Checked after the citations, on the verified answer.

A sentence can be stated by its passage and still not answer what was asked: a distance given for "how many
ferries", a result from another year for "who won in 2019". The verifier passes
those (every name and number is in the cited passage); these checks catch them. ``Asked`` is what the question asks
for, parsed once; ``registry.CHECKS`` lists the checks, each with when it applies, what is done when it fails and its
hand-written examples:

- ``kind``: the answer gives a value of the asked kind: "when" a date, "what year" a year, "how many <things>" a count
  (not a distance, a share or an amount of money), "how much does it cost" an amount of money, "who" a name the
  question does not already give.
- ``year``: each year the question states is a claim of the cited passages (in their text, not only as "since
  2021", or the year they were published).
- ``superseded``, ``subject``, ``winner``, ``runner-up``, ``named``: not the date first planned, not another one of a
  series, not the loser for "who won", a name given as losing for "who was the runner-up", not a longer name holding
  the asked one (``registry.py`` says why they stay).

``precise_dates`` completes a "when" answer's date from its evidence sentence ("November 15" → "November 15, 2020");
``conflict_notes`` says when another passage gives another figure for the asked thing.

When a check fails, the pipeline answers again from the passages that could satisfy it (``could_answer``), and when
none can, or the second answer fails too, it refuses and keeps the withheld answer in ``unsupported``.
"""

from __future__ import annotations

from .asked import Asked, parse_question
from .conflicts import conflict_notes, note_conflicts
from .precision import complete_dates, precise_dates
from .registry import CHECKS, OTHER_ONE, Check, Example, check_answer, could_answer

__all__ = [
    "Asked",
    "CHECKS",
    "Check",
    "Example",
    "OTHER_ONE",
    "check_answer",
    "complete_dates",
    "conflict_notes",
    "could_answer",
    "note_conflicts",
    "parse_question",
    "precise_dates",
]
