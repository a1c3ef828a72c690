"""Chunk: sized in MiniLM word pieces, overlapping, with offsets that map back to the source text."""

from __future__ import annotations

import logging
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from assistant.ingest.chunk import Chunker, count_tokens
from assistant.ingest.load import load_file
from assistant.types import Document

MINILM_WINDOW = 256  # word pieces MiniLM reads, including [CLS] and [SEP]

logging.getLogger("llama_index").setLevel(logging.ERROR)  # "metadata length close to chunk size" for tiny chunks


def doc_of(text: str, **meta) -> Document:
    return Document(
        doc_id=meta.pop("doc_id", "d1"),
        title=meta.pop("title", "T"),
        text=text,
        path="/x.txt",
        content_hash="h" * 64,
        **meta,
    )


def random_article(n_sentences: int, seed: int = 0) -> str:
    """Non-repeating prose (so every chunk has one place in the text), with paragraphs, numbers and names."""
    rng = random.Random(seed)
    vocab = (
        "troops missiles range border region council harbour election minister analysts officials report "
        "offensive supply winter pressure talks sanctions agreement village river bridge"
    ).split()
    names = ["Kursk", "Kyiv", "Pyongyang", "Washington", "NATO", "ATACMS", "Zelenskyy", "Biden"]
    paras, sentences = [], []
    for i in range(n_sentences):
        words = [rng.choice(vocab) for _ in range(rng.randint(6, 24))]
        words.insert(rng.randrange(len(words)), rng.choice(names))
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 99999):,}")
        sentences.append(f"Item {i}: " + " ".join(words) + rng.choice([".", "!", "?", "."]))
        if rng.random() < 0.2:
            paras.append(" ".join(sentences))
            sentences = []
    paras.append(" ".join(sentences))
    return "\n\n".join(p for p in paras if p)


@pytest.fixture(scope="module")
def chunker():
    return Chunker(180, 32)


def assert_offsets_exact(doc: Document, chunks):
    for c in chunks:
        assert doc.text[c.start_char : c.end_char] == c.text, c.chunk_id
        assert (c.metadata["start_char"], c.metadata["end_char"]) == (c.start_char, c.end_char)


def test_seed_chunks_fit_minilm_and_map_back(chunker, seed_file):
    doc = load_file(seed_file)[0]
    chunks = list(chunker.chunks(doc))
    assert len(chunks) > 1
    for c in chunks:
        assert 0 < count_tokens(c.text) <= 180
        assert count_tokens(c.text) + 2 <= MINILM_WINDOW
    assert_offsets_exact(doc, chunks)


def test_long_article_never_exceeds_the_window(chunker):
    text = random_article(600, seed=1)
    assert count_tokens(text) > 20 * MINILM_WINDOW
    doc = doc_of(text)
    chunks = list(chunker.chunks(doc))
    assert len(chunks) > 20
    assert max(count_tokens(c.text) for c in chunks) <= 180
    assert_offsets_exact(doc, chunks)


def test_a_sentence_longer_than_the_window_is_still_cut(chunker):
    text = "Start. " + " ".join(f"word{i}" for i in range(2000)) + " end."  # one giant 'sentence'
    doc = doc_of(text)
    chunks = list(chunker.chunks(doc))
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 180 for c in chunks)
    assert_offsets_exact(doc, chunks)


def test_consecutive_chunks_overlap(chunker):
    # SentenceSplitter overlaps by whole sentences (up to `overlap` word pieces): with short sentences every
    # boundary shares text with the chunk before it
    rng = random.Random(5)
    places = ["Kursk", "Kyiv", "Odesa", "Lviv", "Kharkiv", "Dnipro"]
    text = " ".join(f"Report {i} came from {rng.choice(places)} at {rng.randint(1, 12)} o'clock." for i in range(300))
    doc = doc_of(text)
    chunks = list(chunker.chunks(doc))
    assert len(chunks) > 3
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start_char > prev.start_char  # moving forward
        assert nxt.start_char < prev.end_char  # ...but sharing text with the previous chunk
        shared = doc.text[nxt.start_char : prev.end_char]
        assert nxt.text.startswith(shared) and prev.text.endswith(shared)
        assert 0 < count_tokens(shared) <= 32  # about `overlap` word pieces, not a whole chunk


def test_seed_chunks_overlap_somewhere(chunker, seed_file):
    doc = load_file(seed_file)[0]
    chunks = list(chunker.chunks(doc))
    assert any(nxt.start_char < prev.end_char for prev, nxt in zip(chunks, chunks[1:]))


def test_chunks_cover_the_whole_text(chunker):
    doc = doc_of(random_article(150, seed=3))
    chunks = list(chunker.chunks(doc))
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.start_char : c.end_char] = b"\x01" * (c.end_char - c.start_char)
    assert all(covered[i] or doc.text[i].isspace() for i in range(len(doc.text)))


def test_metadata_travels_with_every_chunk(chunker):
    doc = doc_of(
        random_article(80, seed=4),
        doc_id="wire-42",
        title="Harbour news",
        source="Coastal Times",
        published_at="2024-06-15T08:30:00Z",
        url="https://example.com/a",
        author="R. Reporter",
        category="local",
    )
    chunks = list(chunker.chunks(doc))
    assert len(chunks) > 1
    for i, c in enumerate(chunks):
        assert c.doc_id == "wire-42" and c.chunk_id == f"wire-42:{i}"
        assert c.metadata["chunk"] == i
        for key, value in doc.metadata().items():
            assert c.metadata[key] == value
        assert c.metadata["published_day"] == 20240615
        assert all(isinstance(v, (str, int, float, bool)) for v in c.metadata.values())  # what Chroma accepts


def test_short_document_is_one_chunk(chunker):
    doc = doc_of("A short note about the harbour bridge.")
    chunks = list(chunker.chunks(doc))
    assert [(c.text, c.start_char, c.end_char) for c in chunks] == [(doc.text, 0, len(doc.text))]


def test_chunk_size_outside_minilm_window_is_refused():
    with pytest.raises(ValueError):
        Chunker(300, 32)


words = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=12)
separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", ". ", "! ", "\r\n", "\u00a0"])


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(words, separators), min_size=1, max_size=400), st.integers(16, 250))
def test_property_chunks_cover_text_fit_and_map_back(parts, size):
    text = "".join(w + s for w, s in parts).strip()
    if not text:
        return
    doc = doc_of(text)
    chunks = list(Chunker(size, 32).chunks(doc))
    assert chunks
    covered = bytearray(len(text))
    for c in chunks:
        assert count_tokens(c.text) <= size
        assert text[c.start_char : c.end_char] == c.text
        covered[c.start_char : c.end_char] = b"\x01" * (c.end_char - c.start_char)
    missing = [i for i in range(len(text)) if not covered[i] and not text[i].isspace()]
    assert not missing, repr(text[missing[0] : missing[0] + 20])


def short_texts() -> list[str]:
    from conftest import NEWS_RECORDS, SEED_FILE

    paragraphs = SEED_FILE.read_text(encoding="utf-8").split("\n\n")
    paragraphs = [p for p in paragraphs if p.strip() and count_tokens(p) <= 180]
    return (
        [r["body"] for r in NEWS_RECORDS]
        + paragraphs
        + ["x", "  leading and trailing space \n", "\n\nTitle\n\nBody line one.\nBody line two.  "]
        + ["Ünïcödé — “quotes” …"]
        + ["word " * 170, "word " * 178 + "end."]  # just under the chunk size
    )


@pytest.mark.parametrize("text", short_texts())
def test_a_short_text_is_one_chunk_exactly_as_the_splitter_makes_it(text):
    from assistant.types import Document

    doc = Document(doc_id="d", title="T", text=text, path="", content_hash="h")
    fast = Chunker(180, 32)
    splitter_only = Chunker(180, 32)
    splitter_only.single_chunk = lambda t: None  # type: ignore[method-assign]
    assert fast.single_chunk(text) is not None
    assert [vars(c) for c in fast.chunks(doc)] == [vars(c) for c in splitter_only.chunks(doc)]


def test_a_text_over_the_chunk_size_goes_to_the_splitter():
    assert Chunker(180, 32).single_chunk("word " * 200) is None
    assert Chunker(180, 32).single_chunk("   \n ") is None
