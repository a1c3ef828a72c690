"""This pipeline as llama-index parts (llama-index-core is a core dependency; nothing more to install).

- ``NewsRetriever``: a ``BaseRetriever`` over the hybrid retrieval (dense + BM25, fused), with source/date filters
- ``VerifiedQueryEngine``: a ``BaseQueryEngine`` whose ``Response.source_nodes`` are the cited passages and whose
  ``metadata`` carries each sentence's check, the refusal and what was withheld; ``.as_tool()`` for an agent
- ``LlamaIndexGenerator`` / ``with_llm``: any llama-index ``LLM`` as the generator, the checks kept
- ``ingest_documents``: llama-index ``Document``s (any reader's output) through the same write path as ``ingest``
- ``CitationEvaluator``: the verifier as a llama-index evaluator of any ``Response`` (a CitationQueryEngine's too)
- ``AssistantEmbedding`` / ``AssistantLLM``: this project's embedder and generators as llama-index models
"""

from .documents import ingest_documents, to_documents
from .evaluator import CitationEvaluator
from .llm import LlamaIndexGenerator, with_llm
from .models import AssistantEmbedding, AssistantLLM
from .query_engine import VerifiedQueryEngine, to_response
from .retriever import NewsRetriever, to_filters, to_node

__all__ = [
    "AssistantEmbedding",
    "AssistantLLM",
    "CitationEvaluator",
    "LlamaIndexGenerator",
    "NewsRetriever",
    "VerifiedQueryEngine",
    "ingest_documents",
    "to_documents",
    "to_filters",
    "to_node",
    "to_response",
    "with_llm",
]
