"""The client for OpenAI-compatible endpoints (OpenAI, vLLM, Ollama, llama.cpp's server), shared by the openai
generator and embedder: one place for the key, base URL, timeout and retries."""

from __future__ import annotations

from .settings import Settings


def openai_client(settings: Settings):
    import openai

    return openai.OpenAI(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url or None,
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
    )
