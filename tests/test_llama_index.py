"""assistant.llama_index: this pipeline as llama-index parts, with real llama-index objects (a scripted CustomLLM,
MockEmbedding, ReActAgent, CitationQueryEngine, SimpleDirectoryReader), a real Chroma store and the hand-written
news records of conftest."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document, SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.agent import ReActAgent, ToolCallResult
from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.bridge.pydantic import Field
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.schema import QueryBundle
from llama_index.core.vector_stores import MetadataFilter, MetadataFilters

from assistant.errors import AssistantError, InputError
from assistant.llama_index import (
    CitationEvaluator,
    NewsRetriever,
    VerifiedQueryEngine,
    ingest_documents,
    with_llm,
)

CABLES = "How many steel cables did engineers replace on the Kelvingrove harbour bridge?"


class ScriptedLLM(CustomLLM):
    """A llama-index LLM that answers from a script: each reply a string or a function of the prompt."""

    replies: list[Any] = Field(default_factory=list)
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted", is_chat_model=False)

    def _next(self, prompt: str) -> str:
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return reply(prompt) if callable(reply) else reply

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._next(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = self._next(prompt)

        def gen() -> CompletionResponseGen:
            said = ""
            for word in re.findall(r"\S+\s*", text):
                said += word
                yield CompletionResponse(text=said, delta=word)

        return gen()


def number_of(passage_text: str, prompt: str, label: str = r"\[(\d+)\]") -> int:
    """The number the prompt gives the passage holding ``passage_text``."""
    numbers = [(m.start(), int(m.group(1))) for m in re.finditer(label, prompt)]
    at = prompt.index(passage_text)
    return max((pos, n) for pos, n in numbers if pos < at)[1]  # the nearest label before it


def says(template: str, fact: str, label: str = r"\[(\d+)\]") -> Callable[[str], str]:
    """A reply citing the passage that holds ``fact``: template.format(n=its number)."""
    return lambda prompt: template.format(n=number_of(fact, prompt, label))


@pytest.fixture
def news(make_assistant, news_jsonl):
    a = make_assistant()
    assert a.ingest([news_jsonl]).errors == []
    return a


# ------------------------------------------------------------------------------------------- retriever


def test_retriever_gives_hybrid_passages_as_nodes_with_filters(news):
    nodes = NewsRetriever(news, k=2).retrieve(CABLES)
    assert len(nodes) == 2 and "312 steel cables" in nodes[0].node.get_content()
    first = nodes[0].node.metadata
    assert first["doc_id"] == "wire-1" and first["source"] == "Coastal Times" and first["n"] == 1
    assert nodes[0].node.node_id.startswith("wire-1")
    # the LLM sees where and when a passage was published, not its storage details
    shown = nodes[0].node.get_content(metadata_mode="llm")
    assert "Coastal Times" in shown and "content_hash" not in shown

    only = MetadataFilters(filters=[MetadataFilter(key="source", value="valley herald")])
    herald = NewsRetriever(news, k=4, filters=only).retrieve("harbour")
    assert herald and {n.node.metadata["source"] for n in herald} == {"Valley Herald"}
    since = NewsRetriever(news, k=4, filters={"since": "2024-09-01"}).retrieve("harbour")
    assert since and all(n.node.metadata["published_at"] >= "2024-09-01" for n in since)

    with pytest.raises(AssistantError, match=r"filter 'title == x' is not supported; filter on source"):
        NewsRetriever(news, filters=MetadataFilters(filters=[MetadataFilter(key="title", value="x")]))


# ------------------------------------------------------------------------------------------- query engine


def test_query_engine_cites_its_source_nodes_and_carries_the_checks(news):
    response = VerifiedQueryEngine(news).query(CABLES)
    assert "312" in response.response
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", response.response)}
    assert cited and {n.node.metadata["n"] for n in response.source_nodes} == cited
    assert all("312 steel cables" in n.node.get_content() for n in response.source_nodes)
    meta = response.metadata
    assert meta["refused"] is False and meta["withheld"] is False and meta["model"] == "extractive"
    assert meta["sentences"] and all(s["supported"] for s in meta["sentences"])
    assert {n for s in meta["sentences"] for n in s["cited"]} == cited

    refused = VerifiedQueryEngine(news).query("Who is the mayor of Kelvingrove?")
    assert refused.response == "Insufficient information." and refused.source_nodes == []
    assert refused.metadata["refused"] is True


def test_a_llama_index_llm_generates_and_our_checks_withhold_its_wrong_figure(tmp_path, news_jsonl):
    wrong = ScriptedLLM(replies=[says("Engineers replaced 450 steel cables [{n}].", "312 steel cables")])
    a = with_llm(wrong, data_dir=tmp_path / "wrong")
    a.ingest([news_jsonl])
    response = VerifiedQueryEngine(a).query(CABLES)
    assert wrong.prompts and CABLES in wrong.prompts[0]  # the llama-index LLM wrote the answer
    meta = response.metadata
    assert response.response == "Insufficient information." and response.source_nodes == []
    assert meta["refused"] is True and meta["withheld"] is True
    assert meta["withheld_text"].startswith("Engineers replaced 450 steel cables")
    assert meta["sentences"][0]["check"] == "numbers" and not meta["sentences"][0]["supported"]
    assert meta["model"] == "llama-index:scripted"

    right = ScriptedLLM(replies=[says("Engineers replaced 312 steel cables [{n}].", "312 steel cables")])
    b = with_llm(right, data_dir=tmp_path / "right")
    b.ingest([news_jsonl])
    response = VerifiedQueryEngine(b).query(CABLES)
    assert response.response.startswith("Engineers replaced 312 steel cables [")
    assert response.metadata["withheld"] is False and response.metadata["sentences"][0]["supported"]
    assert [n.node.metadata["doc_id"] for n in response.source_nodes] == ["wire-1"]


def test_a_react_agent_answers_through_the_engine_as_a_tool(news):
    agent_llm = ScriptedLLM(
        replies=[
            f'Thought: The news tool can answer this.\nAction: news\nAction Input: {{"input": "{CABLES}"}}',
            lambda prompt: (
                "Thought: I can answer without using any more tools.\nAnswer: "
                + re.findall(r"Observation: (.*)", prompt)[-1]
            ),
        ]
    )
    agent = ReActAgent(tools=[VerifiedQueryEngine(news).as_tool()], llm=agent_llm)

    async def ask() -> tuple[Any, list[ToolCallResult]]:
        handler = agent.run(user_msg="How many cables were replaced on the bridge?")
        calls = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
        return await handler, calls

    output, calls = asyncio.run(ask())
    assert [c.tool_name for c in calls] == ["news"]
    tool_response = calls[0].tool_output.raw_output
    assert "312" in tool_response.response and tool_response.metadata["sentences"][0]["supported"]
    assert tool_response.source_nodes[0].node.metadata["doc_id"] == "wire-1"
    # the agent's second turn read our checked answer, and its final answer is it
    assert tool_response.response in agent_llm.prompts[1]
    assert output.response.content == tool_response.response


# ------------------------------------------------------------------------------------------- documents


def test_reader_documents_ingest_by_the_loader_rules(news, tmp_path):
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / "ferry.txt").write_text(
        "Ferry crew strike ends\nThe harbour ferry crew ended a two day strike on Tuesday after a pay deal.\n",
        encoding="utf-8",
    )
    (folder / "museum.txt").write_text(
        "Museum roof repaired\nThe maritime museum reopened its upper gallery once the roof was repaired.\n",
        encoding="utf-8",
    )
    docs = SimpleDirectoryReader(str(folder)).load_data()
    report = ingest_documents(news, docs)
    assert len(report.added) == 2 and report.errors == []
    again = ingest_documents(news, SimpleDirectoryReader(str(folder)).load_data())  # new random llama-index ids
    assert again.added == [] and sorted(again.unchanged) == sorted(report.added)
    by_id = {d["doc_id"]: d for d in news.sources()}
    ferry = next(d for d in by_id.values() if d["title"] == "Ferry crew strike ends")
    assert ferry["path"] == str(folder / "ferry.txt")
    assert "two day strike" in NewsRetriever(news, k=1).retrieve("ferry crew strike")[0].node.get_content()

    tagged = Document(
        text="The lighthouse keeper retired after forty years [3].",
        metadata={"id": "light-1", "title": "Keeper retires", "source": "Coastal Times", "date": "2024-11-02"},
    )
    clash = Document(text="A different article.", metadata={"id": "wire-1", "file_path": str(folder / "x.txt")})
    report = ingest_documents(news, [tagged, "just a string", Document(text="   "), clash])
    assert report.added == ["light-1"]
    assert [e.split(":")[0] for e in report.errors] == ["document 1", "document 2", str(folder / "x.txt")]
    assert "a str is not a llama-index Document" in report.errors[0]
    assert "the article has no text" in report.errors[1]
    assert "id 'wire-1' is already indexed from" in report.errors[2]
    stored = next(d for d in news.sources() if d["doc_id"] == "light-1")
    assert stored["published_at"] == "2024-11-02" and stored["source"] == "Coastal Times"
    text = NewsRetriever(news, k=1).retrieve("lighthouse keeper")[0].node.get_content()
    assert "(3)" in text and "[3]" not in text  # a citation-like marker in article text is defused

    # handed to Assistant.add_documents, reader output is one line saying where it goes
    with pytest.raises(InputError, match=r"^add_documents takes assistant Documents, not Document: llama-index "):
        news.add_documents(docs)


# ------------------------------------------------------------------------------------------- evaluator


def test_the_verifier_scores_a_citation_query_engine_response(news, tmp_path):
    from conftest import NEWS_RECORDS

    docs = [Document(text=r["body"], metadata={"title": r["title"]}) for r in NEWS_RECORDS]
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    llm = ScriptedLLM(
        replies=[
            says(
                "Engineers replaced 312 steel cables [{n}]. The bridge first opened in 1931 [{n}].",
                "312 steel cables",
                label=r"Source (\d+):",
            )
        ]
    )
    engine = CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=4, citation_chunk_size=512)
    response = engine.query(CABLES)
    assert response.source_nodes[0].node.get_content().startswith("Source 1:")

    result = CitationEvaluator(news).evaluate_response(query=CABLES, response=response)
    assert result.score == pytest.approx(0.5) and result.passing is False
    assert "not supported: The bridge first opened in 1931" in result.feedback
    assert "supported: Engineers replaced 312 steel cables" in result.feedback
    assert CitationEvaluator(news, threshold=0.5).evaluate_response(query=CABLES, response=response).passing

    # faithfulness: each sentence against all the sources, citations or not
    uncited = CitationEvaluator(news, mode="faithfulness").evaluate(
        query=CABLES,
        response="Engineers replaced 312 steel cables. The span was repainted.",
        contexts=[r["body"] for r in NEWS_RECORDS],
    )
    assert uncited.score == 1.0 and uncited.passing

    ours = VerifiedQueryEngine(news).query(CABLES)
    assert CitationEvaluator(news).evaluate_response(query=CABLES, response=ours).score == 1.0
    refusal = CitationEvaluator(news).evaluate(query=CABLES, response="Insufficient information.", contexts=["x"])
    assert refusal.score is None and refusal.feedback == "a refusal: no claim to check"


def test_the_engine_answers_asynchronously_too(news):
    response = asyncio.run(VerifiedQueryEngine(news).aquery(QueryBundle(CABLES)))
    assert "312" in response.response
