"""Retrieval per named source: each sub-query's ranking merged with the question's own (index/fusion.py,
Budget.merge)."""

from __future__ import annotations

from assistant.index.retrieve import Budget
from assistant.types import Passage


def _p(chunk: str, source: str) -> Passage:
    return Passage(0, chunk, chunk, f"text of {chunk}", 1.0, {"source": source, "doc_id": chunk})


def test_merge_puts_each_sub_query_first_and_select_keeps_each_named_source():
    verge = [_p("v1", "The Verge"), _p("v2", "The Verge")]
    tc = [_p("t1", "TechCrunch"), _p("shared", "TechCrunch")]
    main = [_p("m1", "Wired"), _p("m2", "Wired"), _p("shared", "TechCrunch"), _p("m3", "Wired")]
    for i, ranking in enumerate([verge, tc]):
        for p in ranking:
            p.metadata["via"] = [i]
    for p in main:
        p.metadata["via"] = [-1]
    merged = Budget.merge([verge, tc, main], 6)
    assert [p.chunk_id for p in merged] == ["v1", "t1", "m1", "v2", "shared", "m2"]
    assert [p.n for p in merged] == [1, 2, 3, 4, 5, 6]
    assert merged[4].metadata["via"] == [-1, 1]
    # a budget of 2 would lose the question's own best; k rises to the last sub-query's first passage (within k_max)
    assert [p.chunk_id for p in Budget(1, 8, 10_000).choose(merged)][:2] == ["v1", "t1"]
    assert len(Budget(1, 8, 1).select(merged)) == 2
    assert len(Budget(2, 2, 0).select(merged)) == 2  # an explicit k is exactly k


class Retriever:
    """Returns, per source filter, the passages of that source whose dates fall in the filter (and remembers asks)."""

    def __init__(self, passages: list[Passage]):
        self.passages, self.asked = passages, []

    def retrieve(self, query, n, filters):
        self.asked.append((query, filters.source, filters.since))
        return [
            p
            for p in self.passages
            if p.metadata["source"] in filters.source_spellings
            and (filters.since is None or p.metadata["published_at"] >= filters.since)
        ][:n]


class Part:
    def __init__(self, query, sources, since=None, until=None):
        self.query, self.sources, self.since, self.until = query, sources, since, until


def test_per_source_merges_each_sources_ranking_and_drops_a_date_that_finds_nothing():
    from assistant.index.fusion import per_source

    gazette = Passage(0, "g1", "g1", "ferry times", 1.0, {"source": "Harbour Gazette", "published_at": "2025-01-02"})
    courier = Passage(0, "c1", "c1", "museum news", 1.0, {"source": "Coast Courier", "published_at": "2025-01-05"})
    main = [Passage(0, "m1", "m1", "other", 1.0, {"source": "Wire", "published_at": ""})]
    retriever = Retriever([gazette, courier])
    parts = [Part("ferry", ["Harbour Gazette"]), Part("museum", ["Coast Courier"], since="2025-06-01")]
    merged = per_source(retriever, main, parts, 4)
    assert [p.chunk_id for p in merged] == ["g1", "c1", "m1"]
    assert [p.metadata["via"] for p in merged] == [[0], [1], [-1]]
    # the Courier's dated sub-query found nothing, so it was asked again without its date
    assert ("museum", "Coast Courier", "2025-06-01") in retriever.asked
    assert ("museum", "Coast Courier", None) in retriever.asked
