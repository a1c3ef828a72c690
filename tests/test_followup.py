"""Follow-ups rewritten into standalone questions: the hand-written set evals/followups.jsonl, then answers."""

from __future__ import annotations

import json

import pytest

from assistant.followup import rewrite

from conftest import NEWS_RECORDS, ROOT, write_jsonl

PAIRS = [json.loads(line) for line in (ROOT / "evals" / "followups.jsonl").read_text().splitlines() if line.strip()]


def test_the_set_has_enough_pairs_with_a_held_out_part():
    assert len(PAIRS) >= 12
    assert sum(p.get("split") == "heldout" for p in PAIRS) >= 5
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_followup_is_rewritten_to_the_standalone_question(pair):
    assert rewrite(pair["followup"], pair["previous"], pair["previous_answer"]) == pair["standalone"]


@pytest.mark.parametrize("question", ["What is the range of the ATACMS?", "Who is Volodymyr Zelensky?",
                                      "How many tonnes of apples were picked in the Tamsworth valley?"])
def test_a_standalone_question_is_left_alone(question):
    assert rewrite(question, "How many North Korean troops joined Russian forces in Kursk?",
                   "Over 10,000 North Korean troops joined [1].") == question


def test_no_previous_question_means_no_rewrite():
    assert rewrite("and how many Russian troops?") == "and how many Russian troops?"


def test_rewritten_followups_are_answered_by_the_extractive_backend(seeded, tmp_path):
    """Every pair with a gold answer: the rewritten question, asked alone, gets it (seed + the small news corpus)."""
    seeded.ingest([write_jsonl(tmp_path / "news.jsonl", NEWS_RECORDS)])
    with_gold = [p for p in PAIRS if p.get("answer")]
    assert len(with_gold) >= 8
    missed = []
    for pair in with_gold:
        answer = seeded.ask(rewrite(pair["followup"], pair["previous"], pair["previous_answer"]))
        if pair["answer"].lower() not in answer.answer.lower():
            missed.append((pair["id"], answer.answer))
    assert missed == []
