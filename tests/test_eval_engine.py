"""`assistant eval SET --query-engine module:factory`: a llama-index query engine (a real CitationQueryEngine over a
VectorStoreIndex, MockEmbedding, a scripted LLM that quotes the source sharing most words with the query) run over the
same hand-written questions and corpus as this pipeline, scored and reported beside it."""

from __future__ import annotations

import json
import re

from llama_index.core import VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.query_engine import CitationQueryEngine

from conftest import write_jsonl
from test_eval_answers import QUESTIONS, ok, one_line_error, results, run, summary
from test_llama_index import ScriptedLLM

BUILT: list[int] = []  # documents given to each engine the factory built


def quote_best_source(prompt: str) -> str:
    """The source sentence sharing most words (their first five letters) with the query, cited; a refusal when none
    shares two."""
    context, query = prompt.rsplit("Query:", 1)
    stop = {"the", "of", "how", "many", "did", "what", "who", "on", "in", "is", "to", "will", "until", "time"}
    words = {w[:5] for w in re.findall(r"[a-z]+", query.split("Answer:", 1)[0].lower()) if w not in stop}
    best, best_n, shared = "", 0, 1
    for n, text in re.findall(r"Source (\d+):\n(.*?)(?=\nSource \d+:|\n-{5,}|\Z)", context, re.S)[2:]:
        for sentence in re.split(r"(?<=\.)\s+", text.strip()):
            common = len(words & {w[:5] for w in re.findall(r"[a-z]+", sentence.lower())})
            if common > shared:
                best, best_n, shared = sentence.rstrip("."), int(n), common
    return f"{best} [{best_n}]." if best else "The provided sources do not contain the answer."


def citation_engine(documents):
    BUILT.append(len(documents))
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    llm = ScriptedLLM(replies=[quote_best_source])
    return CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=4, citation_chunk_size=512)


def not_an_engine(documents):
    return "an engine"


def test_a_citation_query_engine_is_scored_beside_the_pipeline(tmp_path, news_jsonl):
    questions = write_jsonl(tmp_path / "hand.jsonl", QUESTIONS)
    ours = tmp_path / "ours"
    ok(questions, "--corpus", news_jsonl, "--out", ours, "--llm", "extractive")
    theirs = tmp_path / "cqe"
    BUILT.clear()
    result = ok(
        questions, "--corpus", news_jsonl, "--query-engine", "test_eval_engine:citation_engine",
        "--out", theirs, "--compare", ours,
    )  # fmt: skip
    assert BUILT == [4]  # one engine, over the four records of the corpus
    answers = [json.loads(line) for line in (theirs / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == [q["id"] for q in QUESTIONS]
    cables = answers[0]
    assert re.fullmatch(r"Engineers replaced 312 steel cables and repainted the main span \[\d\]\.", cables["answer"])
    assert all(not c.startswith("Source ") for c in cables["contexts"]) and len(cables["contexts"]) == 4
    assert answers[-1]["answer"] == "The provided sources do not contain the answer."  # no source on the mayor

    s = summary(theirs)
    assert s["settings"]["engine"] == "test_eval_engine:citation_engine" and s["n"] == 5
    rows = results(theirs)
    assert s["answer_accuracy"] == sum(r["metrics"]["correct"] for r in rows if "correct" in r["metrics"]) / 4
    assert s["rejection_rate"] == 1.0  # its refusal is recognised
    assert rows[0]["metrics"]["correct_and_cited"] is True and rows[0]["metrics"]["citation_recall"] == 1.0
    # one report: the engine's figures beside this pipeline's, the pipeline named
    report = (theirs / "report.md").read_text(encoding="utf-8")
    assert "answers by `test_eval_engine:citation_engine`" in report and "(query engine `test_eval_engine" in report
    assert f"Compared with `{ours}`: " in report and "| metric | value | previous | delta |" in report
    assert s["compare"]["questions"] == "same"
    assert f"compared with {ours}" in result.stderr

    # resumed: nothing is asked again
    BUILT.clear()
    ok(questions, "--corpus", news_jsonl, "--query-engine", "test_eval_engine:citation_engine", "--out", theirs)
    assert BUILT == []


def test_query_engine_misuse_is_one_line(tmp_path, news_jsonl):
    questions = write_jsonl(tmp_path / "hand.jsonl", QUESTIONS[:1])
    one_line_error(
        run(questions, "--corpus", news_jsonl, "--query-engine", "no_such_module_here:make"),
        r"--query-engine: cannot import no_such_module_here",
    )
    one_line_error(
        run(questions, "--corpus", news_jsonl, "--query-engine", "test_eval_engine:missing"),
        r"--query-engine: test_eval_engine has no function 'missing'",
    )
    one_line_error(
        run(questions, "--corpus", news_jsonl, "--query-engine", "test_eval_engine"),
        r"--query-engine 'test_eval_engine': give module:factory",
    )
    one_line_error(
        run(questions, "--corpus", news_jsonl, "--query-engine", "test_eval_engine:not_an_engine", "--out",
            tmp_path / "x"),
        r"--query-engine: the factory returned a str, not a query engine",
    )  # fmt: skip
    one_line_error(run("--query-engine", "test_eval_engine:citation_engine"), r"give a question set \(QUESTIONS")
