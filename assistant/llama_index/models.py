"""This project's models as llama-index ones: the embedder (MiniLM on onnxruntime by default) as a
``BaseEmbedding`` and a generator (the local GGUF, an OpenAI-compatible endpoint) as an ``LLM``, so a llama-index
pipeline runs on the same models offline (the CitationQueryEngine baseline of ``benchmarks/answers.py`` does)."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from ..answer.prompt import Prompt


class AssistantEmbedding(BaseEmbedding):
    """An embedder of this project (``Assistant.embedder``: ``.embed(texts)``) as a llama-index embedding."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder, **kwargs: Any):
        super().__init__(model_name=str(getattr(embedder, "name", type(embedder).__name__)), **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts)


class AssistantLLM(CustomLLM):
    """A generator of this project (``Assistant.generator``: ``.name``, ``.stream(prompt)``) as a llama-index chat
    LLM. (The extractive backend answers from passages it is given, and a llama-index prompt gives it none.)"""

    context_window: int = 4096
    num_output: int = 300
    _generator: Any = PrivateAttr()

    def __init__(self, generator, **kwargs: Any):
        super().__init__(**kwargs)
        self._generator = generator

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            model_name=self._generator.name,
            is_chat_model=True,
            context_window=self.context_window,
            num_output=self.num_output,
        )

    def _pieces(self, messages: list[ChatMessage]):
        turns = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        return self._generator.stream(Prompt(messages=turns, question="", passages=[], refusal=""))

    @llm_chat_callback()
    def chat(self, messages, **kwargs: Any) -> ChatResponse:
        text = "".join(self._pieces(list(messages)))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages, **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            said = ""
            for piece in self._pieces(list(messages)):
                said += piece
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=said), delta=piece)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces([ChatMessage(role=MessageRole.USER, content=prompt)])))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            said = ""
            for piece in self._pieces([ChatMessage(role=MessageRole.USER, content=prompt)]):
                said += piece
                yield CompletionResponse(text=said, delta=piece)

        return gen()
