"""Any llama-index ``LLM`` as this pipeline's generator: the user keeps their model, and every answer it writes is
still checked against the passages (a wrong figure is caught, an answer with nothing supported is withheld)."""

from __future__ import annotations

from collections.abc import Iterator

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from ..answer.prompt import Prompt


class LlamaIndexGenerator:
    """A generator (``.name``, ``.stream(prompt)``) over a llama-index LLM's ``stream_chat``."""

    def __init__(self, llm):
        self.model = llm
        self.name = f"llama-index:{llm.metadata.model_name or type(llm).__name__}"

    def stream(self, prompt: Prompt) -> Iterator[str]:
        messages = [ChatMessage(role=MessageRole(m["role"]), content=m["content"]) for m in prompt.messages]
        said = ""
        for chunk in self.model.stream_chat(messages):
            # a delta when the LLM gives one, else what its growing message added
            piece = chunk.delta if chunk.delta is not None else (chunk.message.content or "")[len(said) :]
            said += piece
            if piece:
                yield piece


def with_llm(llm, settings=None, **overrides):
    """An ``Assistant`` answering with a llama-index LLM (settings as ``Assistant`` takes them)."""
    from ..api import Assistant
    from ..backends import Backends
    from ..settings import load_settings

    settings = settings or load_settings(**overrides)
    return Assistant(settings, backends=Backends(settings, generator=LlamaIndexGenerator(llm)))
