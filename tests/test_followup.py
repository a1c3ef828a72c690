"""Follow-ups rewritten into standalone questions: the hand-written set evals/followups.jsonl, then answers."""

from __future__ import annotations

import json

import pytest

from assistant.answer.followup import rewrite

from conftest import NEWS_RECORDS, ROOT, write_jsonl

PAIRS = [json.loads(line) for line in (ROOT / "evals" / "followups.jsonl").read_text().splitlines() if line.strip()]


def test_the_set_has_enough_pairs_with_a_held_out_part():
    assert len(PAIRS) >= 12
    assert sum(p.get("split") == "heldout" for p in PAIRS) >= 5
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_followup_is_rewritten_to_the_standalone_question(pair):
    assert rewrite(pair["followup"], pair["previous"], pair["previous_answer"]) == pair["standalone"]


@pytest.mark.parametrize(
    "question",
    [
        "What is the range of the ATACMS?",
        "Who is Volodymyr Zelensky?",
        "How many tonnes of apples were picked in the Tamsworth valley?",
    ],
)
def test_a_standalone_question_is_left_alone(question):
    assert (
        rewrite(
            question,
            "How many North Korean troops joined Russian forces in Kursk?",
            "Over 10,000 North Korean troops joined [1].",
        )
        == question
    )


def test_no_previous_question_means_no_rewrite():
    assert rewrite("and how many Russian troops?") == "and how many Russian troops?"


def test_rewritten_followups_retrieve_the_passage_with_the_answer(seeded, tmp_path):
    """Every pair with a gold answer: the rewritten question, retrieved alone, ranks a passage holding the answer in
    the top two (seed + the small news corpus; the follow-up as typed misses one of them)."""
    seeded.ingest([write_jsonl(tmp_path / "news.jsonl", NEWS_RECORDS)])
    with_gold = [p for p in PAIRS if p.get("answer")]
    assert len(with_gold) >= 10

    def hit(question, gold):
        return any(gold.lower() in p.text.lower() for p in seeded.retrieve(question, 2))

    assert [
        p["id"] for p in with_gold if not hit(rewrite(p["followup"], p["previous"], p["previous_answer"]), p["answer"])
    ] == []
    assert [p["id"] for p in with_gold if not hit(p["followup"], p["answer"])] != []


def test_ask_with_history_answers_the_standalone_question(seeded):
    answer = seeded.ask(
        "Is Ukraine's stockpile of it limited?", history=[("What is the range of the ATACMS?", "About 190 miles [1].")]
    )
    assert answer.question == "Is Ukraine's stockpile of the ATACMS limited?"
    assert "stockpile of ATACMS is limited" in answer.answer


def test_the_issue_example_gets_the_russian_figure(seeded):
    """ "and how many Russian troops?" after the North Korean question: retrieved as the standalone question, read by
    the generator as asked after the earlier turn — the answer leads with the Russian figure (it used to repeat the
    North Korean one)."""
    first = seeded.ask("How many North Korean troops joined Russian forces in Kursk?")
    assert "10,000" in first.answer
    answer = seeded.ask("and how many Russian troops?", history=[(first.question, first.answer)])
    assert answer.question == "How many Russian troops joined Russian forces in Kursk?"
    lead = answer.answer.split(" [")[0]
    assert "50,000 Russian troops" in lead and "10,000" not in lead


PREVIOUS = ("When does the Brill ferry leave the harbour?", "At 7:40 every morning [1].")


@pytest.mark.parametrize(
    "question",
    [
        "How many goals did Ortega score in his last season?",  # a possessive of a name in its own clause
        "What did the council say about its budget?",  # of a noun phrase
        "Did Fjordbank say that it would close two branches?",  # a pronoun in a later clause
        "Which airline, after it cut routes, raised its fares?",  # a wh-phrase
        "What did Mara Lind call her first novel?",  # "her" before a noun is a possessive
        "Who is the engineer known for his bridge designs?",
    ],
)
def test_a_question_whose_pronouns_are_its_own_stands_alone_after_any_turn(question):
    assert rewrite(question, *PREVIOUS) == question


@pytest.mark.parametrize(
    "question, standalone",
    [
        ("When did she found it?", "When did Anna Berg found the Brill?"),
        # the subject of its own clause is no antecedent: "her" is not the harbour office
        ("Did the harbour office allow her to sail?", "Did the harbour office allow Anna Berg to sail?"),
    ],
)
def test_a_pronoun_with_nothing_of_its_own_to_stand_for_is_resolved_from_the_turn_before(question, standalone):
    assert rewrite(question, "Who founded the Brill ferry company?", "Anna Berg [1].") == standalone
