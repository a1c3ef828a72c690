"""``VerifiedQueryEngine``: a checked answer as a llama-index ``Response``. Its ``source_nodes`` are the passages the
answer cites (node metadata ``n`` is the [n] of the answer's markers); its ``metadata`` carries what the checks
found: each sentence's verdict (``sentences``: text, cited, supported, check, reason), whether it refused and
whether that refusal withheld the model's answer (``withheld``, with ``withheld_text``: what was not shown), the
answer check and the model. Usable as a ``QueryEngineTool`` by any llama-index agent (``.as_tool()``)."""

from __future__ import annotations

import asyncio

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import QueryBundle
from llama_index.core.tools import QueryEngineTool
from llama_index.core.vector_stores.types import MetadataFilters

from ..index.filters import Filters
from ..types import Answer
from .retriever import to_filters, to_node

TOOL_DESCRIPTION = (
    "Answers a question from the indexed news articles, citing them as [n]; every sentence is checked against "
    "the cited passage, and it says 'Insufficient information.' rather than guess. Input: one question."
)


def to_response(answer: Answer) -> Response:
    by_n = {p.n: p for p in answer.passages}
    cited = [c.n for c in answer.citations if c.n in by_n]
    metadata = {
        "refused": answer.refused,
        "withheld": answer.withheld,
        "withheld_text": " ".join(answer.unsupported) if answer.withheld else "",
        "unsupported": list(answer.unsupported),
        "sentences": [s.to_json() for s in answer.sentences],
        "answer_check": answer.answer_check.to_json(),
        "model": answer.model,
        "cited": cited,
    }
    return Response(response=answer.answer, source_nodes=[to_node(by_n[n]) for n in cited], metadata=metadata)


class VerifiedQueryEngine(BaseQueryEngine):
    """``Assistant.ask`` as a query engine: retrieve, generate (the Assistant's generator: ``with_llm`` for a
    llama-index LLM), check every sentence, cite or refuse."""

    def __init__(
        self,
        assistant,
        k: int | None = None,
        filters: Filters | MetadataFilters | dict | None = None,
        callback_manager: CallbackManager | None = None,
    ):
        super().__init__(callback_manager=callback_manager)
        self._assistant = assistant
        self._k = k
        self._filters = to_filters(filters)

    def _get_prompt_modules(self) -> dict:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        return to_response(self._assistant.ask(query_bundle.query_str, self._k, self._filters))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def as_tool(self, name: str = "news", description: str = TOOL_DESCRIPTION) -> QueryEngineTool:
        return QueryEngineTool.from_defaults(query_engine=self, name=name, description=description)
