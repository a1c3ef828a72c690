"""The shape of the pipeline: one ask enters each answer-path stage once, in order; backends are passed in and
shared; the passage budget is one rule; the answer carries the verifier's per-sentence evidence."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.backends import Backends
from assistant.errors import BackendError
from assistant.answer.prompt import Prompt
from assistant.index.retrieve import Budget
from assistant.settings import load_settings
from assistant.types import Passage

from fakes import EchoGenerator

RANGE_Q = "What is the range of the ATACMS?"
STAGES = ("load", "chunk", "embed", "store", "retrieve", "prompt", "generate", "verify", "present")
ANSWER_PATH = ("retrieve", "prompt", "generate", "verify", "present")


def stage_calls(action) -> list[tuple[str, str]]:
    """(caller module, callee module) of every Python call into an assistant stage module while ``action`` runs."""
    calls: list[tuple[str, str]] = []

    def module_of(frame) -> str:
        name = frame.f_globals.get("__name__", "") if frame else ""
        return name.rsplit(".", 1)[-1] if name.startswith("assistant.") else name

    def profile(frame, event, arg):
        if event == "call":
            callee = module_of(frame)
            if callee in STAGES or callee == "text":
                calls.append((module_of(frame.f_back), callee))

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def test_one_ask_enters_each_answer_stage_once_in_order(seeded):
    from assistant.interfaces.present import answer_text

    seeded.ask(RANGE_Q)  # warm: lazy construction of the store and retriever is not the flow under test
    calls = stage_calls(lambda: answer_text(seeded.ask(RANGE_Q)))
    entered = [callee for _, callee in calls if callee in ANSWER_PATH]
    assert list(dict.fromkeys(entered)) == list(ANSWER_PATH)
    # generation and verification take turns (each sentence is checked as the model writes the next); once generating,
    # nothing goes back to retrieval or the prompt, and present comes last
    generating = entered[entered.index("generate") : entered.index("present")]
    assert set(generating) == {"generate", "verify"} and set(entered[entered.index("present") :]) == {"present"}
    # no stage reaches back into a later or earlier one: present only formats, prompt does not verify
    assert not [c for c in calls if c[0] == "present" and c[1] != "present"]
    assert not [c for c in calls if c[0] == "prompt" and c[1] == "verify"]


def test_backends_are_shared_by_derived_assistants_and_built_once(make_assistant, tmp_path):
    a = make_assistant()
    b = a.derive(data_dir=tmp_path / "other", collection="elsewhere")
    assert b.backends is a.backends
    assert b.generator is a.generator and b.verifier is a.verifier and b.embedder is a.embedder
    assert b.store is not a.store and b.settings.collection == "elsewhere"


def test_backends_for_other_models_are_refused(tmp_path):
    settings = load_settings(data_dir=tmp_path, llm="extractive")
    backends = Backends(settings)
    with pytest.raises(ValueError, match="llm"):
        Assistant(load_settings(data_dir=tmp_path, llm="local"), backends=backends)


def test_a_generator_passed_in_is_used_and_its_answer_verified(tmp_path, seeds_dir):
    settings = load_settings(data_dir=tmp_path / "data", llm="extractive")
    echo = EchoGenerator()
    a = Assistant(settings, backends=Backends(settings, generator=echo))
    a.ingest([seeds_dir])
    answer = a.ask(RANGE_Q)
    assert answer.model == "echo" and len(echo.prompts) == 1
    assert echo.prompts[0].question == RANGE_Q
    assert answer.citations and answer.citations[0].n == 1
    assert [s.supported for s in answer.sentences] == [True]


def test_unknown_generator_name_is_a_one_line_error(tmp_path):
    from assistant.answer.generate import make_generator

    settings = load_settings(data_dir=tmp_path).model_copy(update={"llm": "nonesuch"})
    with pytest.raises(BackendError, match="unknown generator 'nonesuch'; use one of local, openai, extractive"):
        make_generator(settings, Backends(settings))


def passages(lengths: list[int]) -> list[Passage]:
    return [
        Passage(n=i + 1, chunk_id=f"c{i}", doc_id="d", text=" ".join(["word"] * n), score=1.0)
        for i, n in enumerate(lengths)
    ]


def test_budget_takes_at_least_k_then_short_passages_within_the_token_budget(tmp_path):
    settings = load_settings(data_dir=tmp_path, k=2, k_max=5, context_tokens=100)
    budget = Budget.of(settings)
    assert (budget.k, budget.k_max, budget.tokens) == (2, 5, 100)
    # 40 + 40 = 80 taken as the k; +15 = 95 fits; +10 = 105 does not: stop there (a prefix, so numbering holds)
    assert [p.n for p in budget.select(passages([40, 40, 15, 10, 1, 1]))] == [1, 2, 3]
    # the first k are taken whatever their length
    assert [p.n for p in budget.select(passages([200, 200, 1]))] == [1, 2]


def test_an_explicit_k_means_exactly_k(tmp_path):
    settings = load_settings(data_dir=tmp_path, k=2, k_max=5, context_tokens=100)
    assert [p.n for p in Budget.of(settings, 3).select(passages([1, 1, 1, 1, 1]))] == [1, 2, 3]
    exact = load_settings(data_dir=tmp_path, **Budget.exactly(3))
    assert [p.n for p in Budget.of(exact).select(passages([1, 1, 1, 1, 1]))] == [1, 2, 3]
    assert Budget.exactly(None) == {}


def placed(chunk_id: str, doc: str, chunk: int, day: str = "") -> Passage:
    meta = {"doc_id": doc, "chunk": chunk, "start_char": chunk * 100, "published_at": day}
    return Passage(n=0, chunk_id=chunk_id, doc_id=doc, text=f"text of {chunk_id}", score=1.0, metadata=meta)


def test_the_prompt_gets_passages_in_document_order_numbered_in_that_order(tmp_path):
    """Questions that retrieve the same chunks in another rank order get the same numbered passages (so the same
    prompt up to the question, whose evaluated prefix the local model reuses)."""
    ranked = [placed("b1", "b", 1, "2024-02-01"), placed("a2", "a", 2, "2024-01-01")]
    ranked.append(placed("a0", "a", 0, "2024-01-01"))
    ranked = [replace(p, n=i + 1) for i, p in enumerate(ranked)]  # numbered by rank, as retrieved
    budget = Budget.of(load_settings(data_dir=tmp_path, k=3))
    chosen = budget.select(ranked)
    assert [(p.n, p.chunk_id) for p in chosen] == [(1, "a0"), (2, "a2"), (3, "b1")]
    assert [p.chunk_id for p in budget.select(list(reversed(ranked)))] == ["a0", "a2", "b1"]
    # which passages are chosen is still the ranking's prefix: the k best, whatever their place
    assert [p.chunk_id for p in Budget.of(load_settings(data_dir=tmp_path), 2).select(ranked)] == ["a2", "b1"]
    rank = Budget.of(load_settings(data_dir=tmp_path, k=3, passage_order="rank"))
    assert [(p.n, p.chunk_id) for p in rank.select(ranked)] == [(1, "b1"), (2, "a2"), (3, "a0")]


def test_citation_numbers_match_the_prompt_and_the_answers_passages(make_assistant, seeds_dir):
    """The generator sees passage [n] with the text of ``Answer.passages`` entry n, in document order."""
    from assistant.answer.prompt import format_passage

    seen: list[Prompt] = []

    class Recorder:
        name = "recorder"

        def stream(self, prompt):
            seen.append(prompt)
            yield "The ATACMS has a range of approximately 190 miles [1]."

    a = make_assistant(generator=Recorder())
    a.ingest([seeds_dir])
    answer = a.ask(RANGE_Q)
    (prompt,) = seen
    chunks = [p.metadata["chunk"] for p in answer.passages]
    assert chunks == sorted(chunks) and [p.n for p in answer.passages] == list(range(1, len(chunks) + 1))
    body = prompt.messages[-1]["content"]
    for p in answer.passages:
        shown = format_passage(a.settings.prompts_dir, p, text=prompt.seen[p.n])
        assert shown in body and shown.startswith(f"[{p.n}] ")
    assert body.index(f"[{len(chunks)}] ") > body.index("[1] ")


def test_ask_exact_k_through_the_api(seeded):
    assert len(seeded.ask(RANGE_Q, k=1).passages) == 1
    assert len(seeded.ask(RANGE_Q, k=3).passages) == 3


def test_answer_carries_each_sentence_check_and_its_evidence(seeded):
    answer = seeded.ask(RANGE_Q)
    assert answer.sentences and all(s.supported for s in answer.sentences)
    first = answer.sentences[0]
    assert first.cited and set(first.evidence) == set(first.cited)
    passage = {p.n: p.text for p in answer.passages}[first.cited[0]]
    assert first.evidence[first.cited[0]] in passage and "190 miles" in first.evidence[first.cited[0]]
    assert answer.to_json()["sentences"][0]["evidence"][0] == {
        "n": first.cited[0],
        "text": first.evidence[first.cited[0]],
    }


def test_answer_from_given_passages_counts_the_retrieval_in_its_timings(seeded):
    import time

    started = time.perf_counter()
    ranked = seeded.retrieve(RANGE_Q, k=10)
    time.sleep(0.05)
    called = time.perf_counter()
    answer = seeded.answer(RANGE_Q, seeded.budget().select(ranked), started=started)
    returned = time.perf_counter()
    t = answer.timings_ms
    # "retrieve" runs from `started` to when answer() began; the rest of "total" is answer()'s own time
    assert (called - started) * 1000 <= t["retrieve"] <= (returned - started) * 1000
    assert t["generate"] + t["verify"] <= (returned - called) * 1000
    assert t["total"] <= (returned - started) * 1000


def test_the_layout_table_in_the_readme_matches_the_tree():
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout") :]
    named = {
        part.strip("`")
        for line in table.splitlines()
        if line.startswith("| ")
        for part in line.split("|")[2].replace(",", " ").split()
        if part.strip("`").startswith("assistant/")
    }
    modules = {
        str(p.relative_to(root))
        for p in (root / "assistant").rglob("*.py")
        if p.name != "__init__.py" or p.parent.name == "text"  # the text toolkit is the package itself
    }
    assert named and named == modules, (sorted(named - modules), sorted(modules - named))
