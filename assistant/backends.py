"""The models an Assistant uses — embedder, generator, verifier — built on first use and shared by every Assistant
given the same ``Backends`` (the eval's per-question indexes, the server's requests): each model loads once.

Pass one in to swap a backend (``Backends(settings, embedder=my_embedder)``); the registries in ``embed.py`` and
``generate.py`` choose the built-in ones by name.
"""

from __future__ import annotations

import threading

from .settings import Settings

# the settings that decide which models are loaded: Assistants sharing Backends must agree on them
MODEL_SETTINGS = (
    "llm",
    "llm_model",
    "llm_model_path",
    "embed_backend",
    "embed_model",
    "openai_base_url",
    "openai_api_key",
    "n_ctx",
    "n_threads",
    "verify_similarity_floor",
)


class Backends:
    def __init__(self, settings: Settings, *, embedder=None, generator=None, verifier=None):
        self.settings = settings
        self._embedder, self._generator, self._verifier = embedder, generator, verifier
        self._sentences = None
        self._lock = threading.RLock()  # threads of one server build each model once

    def compatible(self, settings: Settings) -> list[str]:
        """The model settings in which ``settings`` differs from these backends' (empty: they can be shared)."""
        return [k for k in MODEL_SETTINGS if getattr(settings, k) != getattr(self.settings, k)]

    @property
    def generator_built(self) -> bool:
        return self._generator is not None

    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from .index.embed import make_embedder

                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def generator(self):
        with self._lock:
            if self._generator is None:
                from .answer.generate import make_generator

                self._generator = make_generator(self.settings, self)
            return self._generator

    @property
    def sentence_embedder(self):
        """The embedder for passage sentences (the verifier's evidence, the extractive backend's candidates): they
        recur answer after answer, so their vectors are kept on disk, by text."""
        with self._lock:
            if self._sentences is None:
                from .index.embed import CachedEmbedder

                self._sentences = CachedEmbedder(
                    self.embedder, self.settings.cache_dir / "vectors" / "sentences.sqlite"
                )
            return self._sentences

    @property
    def verifier(self):
        with self._lock:
            if self._verifier is None:
                from .answer.verify import Verifier

                self._verifier = Verifier(self.sentence_embedder, self.settings.verify_similarity_floor)
            return self._verifier
