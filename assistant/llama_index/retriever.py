"""``NewsRetriever``: this project's retrieval (dense + BM25, fused; a question naming its sources retrieved per
source) as a llama-index ``BaseRetriever``, with filters on source and date."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilters

from ..errors import AssistantError
from ..index.filters import Filters
from ..types import Passage

# what the text of a node shows an LLM besides the passage: where and when it was published
SHOWN_METADATA = ("n", "title", "source", "published_at", "url")


def to_node(p: Passage) -> NodeWithScore:
    """A passage as a llama-index node: the chunk's id, its text, its metadata (with ``n``, its number in the
    answer's [n] markers) and its retrieval score."""
    metadata: dict[str, Any] = {k: v for k, v in p.metadata.items() if isinstance(v, (str, int, float, bool))}
    metadata.update(n=p.n, doc_id=p.doc_id)
    node = TextNode(
        id_=p.chunk_id,
        text=p.text,
        metadata=metadata,
        excluded_llm_metadata_keys=[k for k in metadata if k not in SHOWN_METADATA],
        excluded_embed_metadata_keys=list(metadata),
    )
    return NodeWithScore(node=node, score=p.score)


def to_filters(filters: Filters | MetadataFilters | dict | None) -> Filters | None:
    """Our ``Filters``, from ours, a dict (source, since, until) or llama-index ``MetadataFilters`` on ``source``
    (==) and ``published_at`` (>=, >, <=, <; YYYY-MM-DD)."""
    if filters is None or isinstance(filters, Filters):
        return filters
    if isinstance(filters, dict):
        unknown = set(filters) - {"source", "since", "until"}
        if unknown:
            raise AssistantError(f"unknown filter '{sorted(unknown)[0]}'; filter on source, since or until")
        return Filters(**filters)
    if not isinstance(filters, MetadataFilters):
        raise AssistantError(f"filters must be Filters, a dict or MetadataFilters, not {type(filters).__name__}")
    out = Filters()
    if str(filters.condition.value if filters.condition else "and").lower() != "and" and len(filters.filters) > 1:
        raise AssistantError("only filters joined by AND are supported")
    for f in filters.filters:
        if isinstance(f, MetadataFilters):
            raise AssistantError("nested MetadataFilters are not supported; give source and published_at filters")
        if f.key == "source" and f.operator == FilterOperator.EQ:
            out.source = str(f.value)
        elif f.key == "published_at" and f.operator in (FilterOperator.GTE, FilterOperator.GT):
            out.since = str(f.value)[:10]
        elif f.key == "published_at" and f.operator in (FilterOperator.LTE, FilterOperator.LT):
            out.until = str(f.value)[:10]
        else:
            raise AssistantError(
                f"filter '{f.key} {f.operator.value} {f.value}' is not supported; filter on source (==) or "
                "published_at (>=, <=, YYYY-MM-DD)"
            )
    return out


class NewsRetriever(BaseRetriever):
    """The top ``k`` passages for a query (``Assistant.rank``), best first, as nodes; ``filters`` narrow them."""

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

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        k = self._k or self._assistant.settings.k
        return [to_node(p) for p in self._assistant.rank(query_bundle.query_str, k, self._filters)]
