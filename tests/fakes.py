"""The fakes the tests share, in one place: embedders, a generator, a llama.cpp model and the parts of a store that
the code under test reads. Each is a real implementation of the interface it stands in for, small enough to read."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.answer.prompt import Prompt

# ---- embedders: .name and .embed(texts) -> vectors


class MemoEmbedder:
    """The real LocalEmbedder, remembering vectors by text: the tests ingest the same seed article many times and
    MiniLM is deterministic, so this changes no result, only the time (CPU inference is ~0.2 s per chunk)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self._memo: dict[str, list[float]] = {}

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self.inner.embed(missing)))
        return [self._memo[t] for t in texts]


class HashEmbedder:
    """Deterministic unit vectors from a text's hash: the store and its completeness checks do not care what the
    vectors mean, and a 1,300-chunk document embeds in milliseconds instead of minutes."""

    name = "all-MiniLM-L6-v2"

    def __init__(self):
        self.texts = 0  # how many texts it was asked to embed

    def embed(self, texts):
        self.texts += len(texts)
        out = []
        for t in texts:
            digest = hashlib.sha256(t.encode()).digest() * 12
            v = [b - 127.5 for b in digest[:384]]
            norm = sum(x * x for x in v) ** 0.5
            out.append([x / norm for x in v])
        return out


class CountingEmbedder:
    """An embedder that counts the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.texts = inner, inner.name, 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


# ---- a generator: .name and .stream(prompt) -> pieces of text


class EchoGenerator:
    """A generator passed in by the caller: cites passage 1 with its first sentence."""

    name = "echo"

    def __init__(self):
        self.prompts: list[Prompt] = []

    def stream(self, prompt: Prompt):
        self.prompts.append(prompt)
        yield prompt.passages[0].text.split(". ")[0] + " [1]."


# ---- a llama.cpp model as the prefix cache sees it (input_ids, n_tokens, reset, eval)


class FakeLlm:
    """The tokens a model holds and the ones it was asked to evaluate, without a model."""

    def __init__(self, n_ctx: int = 256):
        self.input_ids = np.zeros(n_ctx, dtype=np.intc)
        self.n_tokens = 0
        self.evaluated: list[list[int]] = []

    def reset(self):
        self.n_tokens = 0

    def eval(self, tokens):
        tokens = list(tokens)
        self.evaluated.append(tokens)
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)

    def holds(self) -> list[int]:
        return self.input_ids[: self.n_tokens].tolist()


# ---- what a Store gives the code under test


class StoredRows:
    """What BM25Index reads the hits' text and metadata from (a Store's get_ids)."""

    def __init__(self, ids, texts):
        self.rows = {i: (t, {}) for i, t in zip(ids, texts)}

    def get_ids(self, ids):
        return {i: self.rows[i] for i in ids if i in self.rows}


class StoredStates:
    """A store that holds the given document states (``document_states``)."""

    def __init__(self, states):
        self.states = states
        self.asked: list[list[str]] = []

    def document_states(self, doc_ids):
        self.asked.append(list(doc_ids))
        return {d: self.states[d] for d in doc_ids if d in self.states}
