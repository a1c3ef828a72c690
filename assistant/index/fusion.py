"""Retrieval per named source: a question that names its sources ("according to The Verge and TechCrunch") is also
retrieved once per source, as a sub-query filtered to that source (and its date, when that finds anything), and the
rankings are merged round robin with the question's own (``Budget.merge``), so each named source contributes.

The sub-queries come from the plan (``answer/plan.py``); this module reads only their fields.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from ..types import Passage
from .retrieve import Budget, Filters


class SourcePart(Protocol):
    """One named source's part of a question (``answer.plan.SubQuery``)."""

    query: str
    sources: list[str]
    since: str | None
    until: str | None


def filters_for(part: SourcePart, dated: bool) -> Filters:
    return Filters(
        source=part.sources[0],
        since=part.since if dated else None,
        until=part.until if dated else None,
        source_spellings=part.sources,
    )


def per_source(retriever, main: list[Passage], parts: list, n: int) -> list[Passage]:
    """``main`` (the question's own top ``n``) merged with each part's top ``n`` from its source; each passage
    records in ``metadata["via"]`` which part brought it (-1: the question itself)."""
    rankings = []
    for i, part in enumerate(parts):
        got = retriever.retrieve(part.query, n, filters_for(part, dated=True))
        if not got and (part.since or part.until):
            got = retriever.retrieve(part.query, n, filters_for(part, dated=False))
        rankings.append([replace(p, metadata={**p.metadata, "via": [i]}) for p in got])
    rankings.append([replace(p, metadata={**p.metadata, "via": [-1]}) for p in main])
    return Budget.merge(rankings, n)
