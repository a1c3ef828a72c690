"""Chunk: Documents → Chunks with llama-index's SentenceSplitter, sized in the embedding model's own word pieces.

SentenceSplitter counts tiktoken tokens by default; MiniLM reads at most 256 word pieces and silently drops the rest,
so we hand the splitter MiniLM's tokenizer (``tokenizers``, no torch) and stay under the window with a margin.

A long text is split in pieces of at most ``PIECE_CHARS`` cut at paragraph (else line, else sentence) boundaries:
the splitter's working memory grows far faster than its input (a 200 MB text in one pass passed 13 GB), so pieces
keep it bounded; offsets stay relative to the whole text. ``Chunker.chunks`` yields a document's chunks as each piece
is split, so a long document is embedded and stored a slice at a time and its chunks are never all held; how the
store records that a document was written whole is the store's business (``Store.write_document``).
"""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Callable, Iterator
from typing import Any

from ..text.dates import date_key
from ..types import Chunk, Document

PIECE_CHARS = 200_000


def metadata_of(doc: Document) -> dict[str, Any]:
    """What every chunk of the document carries (Chroma accepts str/int/float/bool only): the document's fields, and
    its day as YYYYMMDD (``published_day``) when it has a date, for range filters."""
    meta = doc.metadata()
    day = date_key(doc.published_at)
    if day is not None:
        meta["published_day"] = day
    return meta


def pieces(text: str, size: int | None = None) -> Iterator[tuple[int, str]]:
    """(offset, piece) with pieces of at most ``size`` (default ``PIECE_CHARS``) characters, cut after a blank line,
    a newline or a sentence end where one lies in the second half of the window, else hard; one at a time."""
    size = size or PIECE_CHARS
    if len(text) <= size:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start + size // 2 : end]
            for sep in ("\n\n", "\n", ". "):
                cut = window.rfind(sep)
                if cut >= 0:
                    end = start + size // 2 + cut + len(sep)
                    break
        yield start, text[start:end]
        start = end


@lru_cache(maxsize=1)
def wordpiece_tokenizer() -> Callable[[str], list]:
    """MiniLM's own tokenizer, from the packaged model folder (offline)."""
    from tokenizers import Tokenizer

    from ..resources import minilm_dir

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    def encode(text: str) -> list:
        return tok.encode(text, add_special_tokens=False).ids

    return encode


def count_tokens(text: str) -> int:
    return len(wordpiece_tokenizer()(text))


class Chunker:
    def __init__(self, chunk_tokens: int = 180, overlap: int = 32):
        from llama_index.core.node_parser import SentenceSplitter

        if not 16 <= chunk_tokens <= 250:
            raise ValueError("chunk_tokens must be between 16 and 250 (MiniLM reads 256 word pieces)")
        from ..text import sentence_splitter

        self.splitter = SentenceSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=min(overlap, chunk_tokens // 2),
            tokenizer=wordpiece_tokenizer(),
            # the Punkt splitter llama-index would build through nltk (whose import alone is ~1.9 s of an ingest)
            chunking_tokenizer_fn=sentence_splitter(),
            include_metadata=False,
            include_prev_next_rel=False,
        )

    def single_chunk(self, text: str) -> tuple[int, int] | None:
        """(start, end) of the one chunk a short text makes (the text without its surrounding whitespace), or None
        when it needs the splitter. A text of at most ``chunk_size`` word pieces is one split, which the splitter
        returns stripped; the equivalence is checked on real corpora by tests/test_chunk.py."""
        stripped = text.strip()
        if not stripped or len(text) > 4 * self.splitter.chunk_size * 8:
            return None
        if len(wordpiece_tokenizer()(text)) > self.splitter.chunk_size:
            return None
        start = text.find(stripped)
        return start, start + len(stripped)

    def chunks(self, doc: Document) -> Iterator[Chunk]:
        """The document's chunks in order, numbered from 0, each piece split only when the previous one's chunks
        have been taken."""
        from llama_index.core.schema import Document as LIDocument

        base = metadata_of(doc)
        whole = self.single_chunk(doc.text)
        if whole is not None:  # what the splitter gives for a text within one chunk, without its per-call overhead
            meta = base | {"chunk": 0, "start_char": whole[0], "end_char": whole[1]}
            yield Chunk(f"{doc.doc_id}:0", doc.doc_id, doc.text[whole[0] : whole[1]], whole[0], whole[1], meta)
            return
        i = 0
        for offset, piece in pieces(doc.text):
            nodes = self.splitter.get_nodes_from_documents([LIDocument(text=piece, id_=doc.doc_id)])
            cursor = 0
            for node in nodes:
                text = node.get_content()
                start = getattr(node, "start_char_idx", None)  # a TextNode's; BaseNode does not declare it
                if start is None:  # the splitter could not place it: find it ourselves
                    start = max(piece.find(text, cursor), 0)
                end = getattr(node, "end_char_idx", None)
                end = end if end is not None else start + len(text)
                cursor = start
                meta = base | {"chunk": i, "start_char": offset + start, "end_char": offset + end}
                yield Chunk(
                    chunk_id=f"{doc.doc_id}:{i}",
                    doc_id=doc.doc_id,
                    text=text,
                    start_char=offset + start,
                    end_char=offset + end,
                    metadata=meta,
                )
                i += 1
            del nodes
