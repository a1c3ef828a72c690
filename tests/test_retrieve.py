"""Retrieve: hybrid (dense + BM25, fused), filters on source and date, numbered passages."""

from __future__ import annotations

import pytest

from assistant.errors import AssistantError, EmptyIndexError
from assistant.index.retrieve import BM25Index, Filters

from conftest import NEWS_RECORDS, write_jsonl
from fakes import StoredRows


@pytest.mark.parametrize(
    "question,needle,within",
    [
        ("What is the range of ATACMS?", "190 miles", 1),
        ("range of ATACMS", "190 miles", 1),
        ("How many North Korean troops joined Russian forces in Kursk?", "10,000 North Korean troops", 1),
        ("How many Russian troops have massed in the Kursk area?", "50,000 Russian troops", 2),
    ],
)
def test_seed_questions_find_the_passage(seeded, seed_text, question, needle, within):
    assert seed_text.count(needle) == 1  # one right passage among the seed's chunks
    assert seeded.store.count() > 2 * within
    passages = seeded.retrieve(question, k=within)
    assert len(passages) == within
    assert any(needle in p.text for p in passages)


def test_passages_are_numbered_ranked_and_carry_metadata(seeded):
    passages = seeded.retrieve("ATACMS range", k=3)
    assert [p.n for p in passages] == [1, 2, 3]
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert len({p.chunk_id for p in passages}) == 3
    doc_id = seeded.sources()[0]["doc_id"]
    for p in passages:
        assert p.doc_id == doc_id and p.chunk_id.startswith(f"{doc_id}:")
        assert p.metadata["title"] == seeded.sources()[0]["title"]
        assert "similarity" in p.metadata or "bm25" in p.metadata


def test_k_limits_the_passages(seeded):
    assert len(seeded.retrieve("Kursk", k=1)) == 1
    assert len(seeded.retrieve("Kursk", k=50)) == seeded.store.count()  # never more than there is


def test_empty_question_and_empty_index(assistant, seeded):
    with pytest.raises(AssistantError, match="empty"):
        seeded.retrieve("   ")


def test_empty_index_says_so(assistant):
    with pytest.raises(EmptyIndexError, match="ingest"):
        assistant.retrieve("anything at all?")


@pytest.fixture
def news(assistant, news_jsonl):
    assert assistant.ingest([news_jsonl]).errors == []
    return assistant


def ids(passages):
    return {p.doc_id for p in passages}


def test_source_filter(news):
    got = news.retrieve("harbour", k=10, filters=Filters(source="Valley Herald"))
    assert ids(got) == {"wire-2", "wire-3"}
    assert all(p.metadata["source"] == "Valley Herald" for p in got)
    assert ids(news.retrieve("harbour", k=10, filters=Filters(source="No Such Paper"))) == set()


def test_date_filters_are_inclusive_and_combine(news):
    everything = ids(news.retrieve("harbour", k=10))
    assert everything == {r["id"] for r in NEWS_RECORDS}
    assert ids(news.retrieve("harbour", k=10, filters=Filters(since="2024-06-15"))) == {"wire-2", "wire-3", "wire-4"}
    assert ids(news.retrieve("harbour", k=10, filters=Filters(until="2024-06-15"))) == {"wire-1", "wire-2"}
    assert ids(news.retrieve("harbour", k=10, filters=Filters(since="2024-04-01", until="2024-12-31"))) == {
        "wire-2",
        "wire-3",
    }
    assert ids(news.retrieve("harbour", k=10, filters=Filters(source="Coastal Times", since="2025-01-01"))) == {
        "wire-4"
    }
    assert news.retrieve("harbour", filters=Filters(since="2030-01-01")) == []


@pytest.mark.parametrize(
    "filters",
    [
        Filters(source="Valley Herald"),
        Filters(since="2024-06-15"),
        Filters(until="2024-06-15"),
        Filters(source="Coastal Times", since="2025-01-01"),
        Filters(since="2030-01-01"),
    ],
)
def test_a_large_store_filters_neighbours_and_masks_bm25_with_the_same_result(news, monkeypatch, filters):
    """In a large store, filtered retrieval filters the unfiltered nearest neighbours (asking Chroma's filtered
    query only when too few pass) and masks the BM25 index of all chunks: the chunks found are those the small
    store's way finds."""
    import assistant.index.retrieve as retrieve

    exact = [p.chunk_id for p in news.retrieve("harbour ferry", k=10, filters=filters)]
    asked = []
    real = news.store.query
    monkeypatch.setattr(
        news.store, "query", lambda v, n, where=None, **kw: asked.append(where) or real(v, n, where, **kw)
    )
    monkeypatch.setattr(retrieve, "LARGE_STORE", 1)
    fast = [p.chunk_id for p in news.retrieve("harbour ferry", k=10, filters=filters)]
    assert sorted(fast) == sorted(exact)
    assert asked[0] is None  # the unfiltered neighbours first
    # Chroma's filtered query only when fewer than the candidates wanted passed (here: always, the store is tiny)
    assert asked[1:] == [filters.where()]


def test_the_bm25_mask_keeps_only_chunks_that_pass(news, monkeypatch):
    import assistant.index.retrieve as retrieve

    monkeypatch.setattr(retrieve, "LARGE_STORE", 1)
    hits = news.retriever.sparse("harbour", 10, Filters(source="Valley Herald").where())
    assert hits and {h.metadata["source"] for h in hits} == {"Valley Herald"}
    assert not news.retriever.sparse("harbour", 10, Filters(since="2030-01-01").where())


def test_filtered_out_question_is_refused_not_invented(news):
    answer = news.ask("When does the harbour ferry run?", filters=Filters(since="2030-01-01"))
    assert answer.refused and answer.passages == [] and answer.citations == []


@pytest.mark.parametrize("flag", ["since", "until"])
@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "15/06/2024"])
def test_bad_date_is_an_assistant_error(news, flag, value):
    with pytest.raises(AssistantError) as err:
        news.retrieve("harbour", filters=Filters(**{flag: value}))
    assert f"--{flag} '{value}'" in str(err.value) and "YYYY-MM-DD" in str(err.value)


def test_bm25_ranks_an_exact_rare_keyword_first():
    texts = [
        "The harbour bridge reopened after repairs to the main span.",
        "Growers picked apples in the valley during a mild spring.",
        "A zorbulite shipment reached the harbour on Tuesday.",
        "The ferry timetable changes in October for the harbour.",
        "The library received an atlas from a local family.",
    ]
    ids = [f"c{i}" for i in range(len(texts))]
    index = BM25Index(ids, texts, StoredRows(ids, texts))
    hits = index.search("zorbulite", 5)
    assert [h[0] for h in hits] == ["c2"]  # only the chunk with the word scores at all
    hits = index.search("when was the zorbulite shipment at the harbour", 5)
    assert hits[0][0] == "c2" and hits[0][3] > hits[1][3]
    assert index.search("the and of", 5) == []  # stopwords only
    assert BM25Index([], [], StoredRows([], [])).search("anything", 3) == []


def test_hybrid_finds_a_rare_keyword_the_embedder_may_miss(news, tmp_path):
    write_jsonl(
        tmp_path / "more.jsonl",
        [
            {
                "id": "rare",
                "title": "Port notice",
                "source": "Coastal Times",
                "published_at": "2024-05-05",
                "body": "Inspectors logged cargo code QX-7731 at berth four.",
            }
        ],
    )
    news.ingest([tmp_path / "more.jsonl"])
    assert news.retrieve("QX-7731", k=2)[0].doc_id == "rare"


def test_bm25_sees_removals_and_replacements_in_the_same_process(news, tmp_path):
    assert news.retrieve("Quenby atlas", k=1)[0].doc_id == "wire-4"  # builds the BM25 index
    n = news.store.count()
    news.remove("wire-4")
    # a new one-chunk document keeps the chunk count the same as before the removal
    write_jsonl(
        tmp_path / "new.jsonl",
        [
            {
                "id": "wire-5",
                "title": "Market day",
                "source": "Coastal Times",
                "published_at": "2025-02-01",
                "body": "Fishmongers sold herring at the Saturday market.",
            }
        ],
    )
    news.ingest([tmp_path / "new.jsonl"])
    assert news.store.count() == n
    got = news.retrieve("Quenby atlas library", k=5)
    assert "wire-4" not in ids(got)  # a removed document is never a passage
    stored = set(news.store.get()["ids"])
    assert all(p.chunk_id in stored for p in got)


def test_source_filter_ignores_case_and_spacing(news):
    got = news.retrieve("harbour", k=10, filters=Filters(source="  valley   HERALD "))
    assert ids(got) == {"wire-2", "wire-3"}


def test_check_filters_says_what_matched_nothing(news):
    from assistant.errors import NoMatchError

    news.check_filters(Filters(source="coastal times", since="2025-01-01"))  # matches wire-4: no error
    with pytest.raises(NoMatchError) as err:
        news.check_filters(Filters(source="Coastal Times", since="2030-01-01"))
    assert str(err.value) == (
        "the filters (source 'Coastal Times', since 2030-01-01) matched 0 of 4 chunks; "
        "`assistant sources` lists each document's source and date"
    )


QUERIES = [
    "What is the range of the ATACMS?",
    "How many North Korean troops joined Russian forces in Kursk?",
    "harbour ferry timetable",
    "Quenby atlas library",
    "Trump aid Ukraine skepticism",
    "apple harvest record valley",
]


def test_bm25_saved_beside_the_store_ranks_exactly_as_a_fresh_build(make_assistant, news_jsonl, seeds_dir, monkeypatch):
    """A fresh process loads the saved BM25 index (no scan of the store) and ranks exactly as one built from the
    store's contents: the same chunks, scores, texts and metadata, and the same fused passages."""
    writer = make_assistant()
    writer.ingest([news_jsonl, seeds_dir])  # saves the index at the end of the ingest
    got = writer.store.get(include_meta=False)
    built = BM25Index(got["ids"], got["documents"], writer.store)
    expected = [writer.retrieve(q, k=6) for q in QUERIES]

    fresh = make_assistant()  # another process: nothing in memory
    scan = fresh.store.get

    def no_full_scan(where=None, **kwargs):
        assert where is not None, "the saved index should have been loaded, not rebuilt from a scan"
        return scan(where, **kwargs)

    monkeypatch.setattr(fresh.store, "get", no_full_scan)
    loaded = fresh.retriever.bm25(None)
    for q in QUERIES:
        assert loaded.search(q, 20) == built.search(q, 20)
    assert [fresh.retrieve(q, k=6) for q in QUERIES] == expected
    assert any(loaded.search(q, 20) for q in QUERIES)


def test_a_bm25_index_saved_in_an_older_format_is_rebuilt(make_assistant, news_jsonl, monkeypatch):
    import assistant.index.bm25 as R

    writer = make_assistant()
    writer.ingest([news_jsonl])  # saved in the current format
    monkeypatch.setattr(R, "BM25_FORMAT", R.BM25_FORMAT + 1)  # a later version reads it
    fresh = make_assistant()
    built = []
    real = R.BM25Index.from_store
    monkeypatch.setattr(R.BM25Index, "from_store", classmethod(lambda cls, *a, **k: built.append(1) or real(*a, **k)))
    index = fresh.retriever.bm25(None)
    assert built == [1]  # rebuilt from the store, not loaded
    assert index.ids and any(index.search(q, 5) for q in QUERIES)


def test_saved_bm25_follows_writes_by_another_process(make_assistant, news_jsonl, tmp_path):
    """An ingest or a removal by another process makes a warm retriever and a fresh one both see the new contents,
    also when the chunk count stays the same."""
    first = make_assistant()
    first.ingest([news_jsonl])
    assert first.retrieve("Quenby atlas library", k=1)[0].doc_id == "wire-4"  # warm, from the saved index
    other = make_assistant()
    other.remove("wire-4")
    other.ingest(
        [
            write_jsonl(
                tmp_path / "new.jsonl",
                [{"id": "wire-5", "title": "Zorbulite", "body": "A zorbulite cargo reached the quay at noon."}],
            )
        ]
    )
    assert other.store.count() == first.store.count()
    for a in (first, make_assistant()):
        assert "wire-4" not in ids(a.retrieve("Quenby atlas library", k=5))
        assert a.retrieve("zorbulite cargo", k=1)[0].doc_id == "wire-5"
        hits = a.retriever.bm25(None).search("zorbulite", 5)
        assert [h.chunk_id.split(":")[0] for h in hits] == ["wire-5"]


def test_saved_bm25_is_not_trusted_after_an_interrupted_write(make_assistant, news_jsonl, monkeypatch):
    """A write cut short (after Chroma changed, before it finished) leaves the write token changed: the saved index
    is rebuilt, not loaded."""
    a = make_assistant()
    a.ingest([news_jsonl])
    before = a.store.write_token()
    col = a.store.collection()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(col, "delete", crash)
    with pytest.raises(KeyboardInterrupt):
        a.store.delete_document("wire-4")
    monkeypatch.undo()
    assert a.store.write_token() != before
    col.delete(ids=["wire-4:0"])  # what the killed process had done to the store before it died
    fresh = make_assistant()
    assert not any(h.chunk_id.startswith("wire-4") for h in fresh.retriever.bm25(None).search("Quenby atlas", 5))


def test_source_filter_sees_a_source_added_later(news, tmp_path):
    """The stored sources are remembered between questions, and forgotten when the store changes."""
    assert news.retrieve("harbour quay", k=5, filters=Filters(source="port gazette")) == []
    record = {"id": "gz-1", "title": "Quay", "source": "Port Gazette", "body": "The harbour quay was rebuilt."}
    news.ingest([write_jsonl(tmp_path / "gazette.jsonl", [record])])
    got = news.retrieve("harbour quay", k=5, filters=Filters(source="port gazette"))
    assert ids(got) == {"gz-1"}


def test_a_fresh_process_reads_the_stored_sources_from_disk_until_a_write(news, make_assistant, tmp_path):
    """The distinct sources are saved beside the store: another Assistant on the same data dir (a fresh process)
    resolves a source filter without reading every chunk's metadata, and a write by anyone makes it read them again."""
    from assistant.index.retrieve import stored_sources

    assert stored_sources(news.store) == ["Coastal Times", "Valley Herald"]
    fresh = make_assistant(data_dir=news.settings.data_dir)
    scans = []
    real = fresh.store.get
    fresh.store.get = lambda where=None, include_text=True, include_meta=True, **page: (
        scans.append(include_meta) or real(where, include_text, include_meta, **page)
    )
    assert ids(fresh.retrieve("harbour", k=10, filters=Filters(source="valley herald"))) == {"wire-2", "wire-3"}
    assert True not in scans  # no metadata scan: the sources came from disk
    record = {"id": "gz-1", "title": "Quay", "source": "Port Gazette", "body": "The harbour quay was rebuilt."}
    news.ingest([write_jsonl(tmp_path / "gazette.jsonl", [record])])  # a write by another Assistant
    assert ids(fresh.retrieve("harbour quay", k=5, filters=Filters(source="port gazette"))) == {"gz-1"}
    assert True in scans


def test_bm25_built_a_page_at_a_time_ranks_as_one_built_from_all_texts(
    make_assistant, news_jsonl, seeds_dir, monkeypatch
):
    """The rebuild after an ingest reads and tokenises the store a page at a time (never every chunk's text at once)
    and ranks exactly as an index built from all the texts in one go."""
    import assistant.index.store as store_module

    a = make_assistant()
    a.ingest([news_jsonl, seeds_dir])
    got = a.store.get(include_meta=False)
    whole = BM25Index(got["ids"], got["documents"], a.store)
    monkeypatch.setattr(store_module, "PAGE", 3)
    limits = []
    get = a.store.get

    def spied(*args, **kwargs):
        limits.append(kwargs.get("limit"))
        return get(*args, **kwargs)

    monkeypatch.setattr(a.store, "get", spied)
    paged = BM25Index.from_store(a.store)
    assert len(limits) > 3 and set(limits) == {3}
    assert paged.ids == whole.ids and len(paged.ids) > 6
    for q in QUERIES:
        assert paged.search(q, 20) == whole.search(q, 20)
    assert any(paged.search(q, 20) for q in QUERIES)
