"""Does the answer answer the question (answer/checks/)? The registry's own hand-written examples drive one
parametrised test; then what a question is read as, and the pipeline acting on a failed check (answer again from the
passages that could answer, else refuse).
Every question and passage here is made up for the test."""

from __future__ import annotations

import pytest

from assistant.answer.checks import CHECKS, check_answer, could_answer, parse_question
from assistant.answer.checks.registry import Example
from assistant.text import strip_citations
from assistant.types import Passage, SentenceCheck


def passages(*texts: str, published: tuple[str, ...] = ()) -> list[Passage]:
    dates = list(published) + [""] * len(texts)
    return [
        Passage(n, f"c{n}", f"d{n}", t, 1.0, {"published_at": dates[n - 1], "title": "t"})
        for n, t in enumerate(texts, 1)
    ]


def verdict(question: str, answer: str, cited: list[int], ps: list[Passage]):
    sentence = SentenceCheck(answer, strip_citations(answer), cited, True)
    return check_answer(parse_question(question), [sentence], ps, {p.n: p.text for p in ps})


def run_example(check, ex: Example) -> str | None:
    """The check alone on its example: the reason it failed, or None."""
    from assistant.answer.checks.evidence import Given

    ps = passages(ex.passage, published=(ex.published,) if ex.published else ())
    given = Given(parse_question(ex.question), strip_citations(ex.answer), ps, {1: ex.passage}, [(1, ex.passage)])
    return check.run(given)


RULE_EXAMPLES = [(c, ex) for c in CHECKS for ex in c.examples]


def test_every_check_is_registered_with_when_it_applies_and_examples_that_pass_and_fail():
    assert [c.name for c in CHECKS] == [
        "kind",
        "year",
        "superseded",
        "subject",
        "winner",
        "runner-up",
        "named",
        "named",
    ]
    for check in CHECKS:
        assert check.applies and check.retry
    # every check name has examples that pass and fail (the role rule shares "named" with the named-body one)
    for name in {c.name for c in CHECKS}:
        assert {ex.passes for c in CHECKS if c.name == name for ex in c.examples} == {True, False}, name


@pytest.mark.parametrize(
    "check, example", RULE_EXAMPLES, ids=[f"{c.name}-{i}" for i, (c, _) in enumerate(RULE_EXAMPLES)]
)
def test_a_rule_check_passes_and_fails_its_examples(check, example):
    reason = run_example(check, example)
    assert (reason is None) == example.passes, reason


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When did the Larkspur footbridge open?", "date"),
        ("What is the opening date of the night market?", "date"),
        ("In what year was the Northfield Foundation set up?", "year"),
        ("How much did the council pay for the tram cars?", "money"),
        ("What were the ferry company's profits last year?", "money"),
        ("How many volunteers cleaned the beach?", "count"),
        ("Who chairs the harbor board?", "name"),
        ("Which team finished first in the relay?", "name"),
        ("What is the name of the official who signed the permit?", "name"),
        ("Where do the night buses stop?", ""),
        ("Why was the festival moved indoors?", ""),
        ("What does the acronym TRAM stand for?", ""),
    ],
)
def test_the_kind_of_value_a_question_asks_for(question, kind):
    assert parse_question(question).kind == kind


def test_years_the_question_states_as_its_own_and_not_since():
    assert parse_question("Who won the Harbor Regatta in 2019?").years == ("2019",)
    assert parse_question("Who has run the ferry company since 2018?").years == ()
    assert not parse_question("Why did the regatta start late?").checks_anything


def test_could_answer_keeps_the_passages_with_a_value_of_the_asked_kind_and_year():
    ps = passages(
        "The strait is 14 miles wide.",
        "Eleven ferries crossed the strait daily in 2019.",
        "Nine ferries cross the strait daily now.",
        published=("", "", "2021-03-01"),
    )
    asked = parse_question("How many ferries crossed the strait daily in 2019?")
    assert [p.n for p in could_answer(asked, ps, {p.n: p.text for p in ps})] == [2]


# ---- the pipeline acting on a failed check


class FirstPassageGenerator:
    """Answers with the first sentence of the first passage it is given, citing it."""

    name = "scripted"

    def __init__(self):
        self.prompts: list = []

    def stream(self, prompt):
        self.prompts.append(prompt)
        p = prompt.passages[0]
        yield p.text.split(". ")[0].rstrip(".") + f" [{p.n}]."


def test_an_answer_about_another_year_is_answered_again_from_the_passage_that_holds_the_year(make_assistant):
    gen = FirstPassageGenerator()
    a = make_assistant(generator=gen)
    ps = passages("Team Osprey won the 2018 Harbor Regatta.", "Team Selkie won the 2019 Harbor Regatta.")
    answer = a.answer("Who won the Harbor Regatta in 2019?", ps)
    assert len(gen.prompts) == 2 and [p.n for p in gen.prompts[1].passages] == [2]
    assert not answer.refused and "Team Selkie" in answer.answer and [c.n for c in answer.citations] == [2]
    assert answer.answer_check.check == "year" and answer.answer_check.retried_with == [2]
    assert "Team Osprey" in answer.answer_check.first_answer


def test_an_answer_no_passage_can_mend_is_withheld_and_kept(make_assistant):
    gen = FirstPassageGenerator()
    a = make_assistant(generator=gen)
    ps = passages("The strait is 14 miles wide.", "Ferry crews asked for more staff.")
    answer = a.answer("How many ferries cross the strait each day?", ps)
    assert answer.refused and answer.answer == "Insufficient information." and len(gen.prompts) == 1
    assert answer.answer_check.check == "kind"
    assert answer.unsupported == ["The strait is 14 miles wide [1]."]
    # turned off, the same answer stands
    plain = make_assistant(generator=FirstPassageGenerator(), check_answers=False)
    assert not plain.answer("How many ferries cross the strait each day?", ps).refused


def test_passages_that_give_another_figure_for_the_asked_thing_are_flagged(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = passages(
        "The Larkspur footbridge is 120 meters long, the city said.",
        "Engineers say the Larkspur footbridge is 210 meters long.",
        "The Elm Street bridge is 80 meters long.",
    )
    answer = a.answer("How long is the Larkspur footbridge?", ps)
    assert not answer.refused and answer.answer.startswith("The Larkspur footbridge is 120 meters long, the city said")
    notes = [s for s in answer.sentences if s.check == "conflict"]
    assert [s.cited for s in notes] == [[2]] and "210 meters" in notes[0].text and "conflict" in answer.answer
    # passages that agree (or speak of another thing) add nothing
    agree = a.answer("How long is the Larkspur footbridge?", [ps[0], ps[2]])
    assert "conflict" not in agree.answer and [c.n for c in agree.citations] == [1]


def test_a_date_without_its_year_or_day_is_completed_from_its_evidence_sentence():
    from assistant.answer.checks import complete_dates, precise_dates
    from assistant.answer.verify import Verification

    evidence = ["The night market was opened by the mayor on 15 November 2020."]
    assert complete_dates("It opened November 15 [1].", evidence) == "It opened November 15, 2020 [1]."
    assert complete_dates("It opened in May 2012 [1].", ["Open on May 15, 2012."]) == "It opened on May 15, 2012 [1]."
    # the evidence holds no fuller date, or two that would fit: left as it is
    assert complete_dates("It opened in May 2012 [1].", ["It opened May 2012."]) == "It opened in May 2012 [1]."
    two = ["Open on May 15, 2012 downtown and May 16, 2012 by the river."]
    assert complete_dates("It opened in May 2012 [1].", two) == "It opened in May 2012 [1]."
    assert complete_dates("It opened November 16 [1].", evidence) == "It opened November 16 [1]."
    sentence = SentenceCheck(
        "It opened November 15 [1].", "It opened November 15", [1], True, evidence={1: evidence[0]}
    )
    when = parse_question("When did the night market open?")
    done = precise_dates(when, Verification(sentence.text, False, [sentence]))
    assert done.answer == "It opened November 15, 2020 [1]." and done.sentences[0].claim.endswith("2020")
    # only for "when" questions
    which = parse_question("Which stalls sold out at the night market?")
    assert precise_dates(which, Verification(sentence.text, False, [sentence])).answer == sentence.text


def test_the_pipeline_completes_a_when_answer_s_date_from_its_evidence(make_assistant):
    class SaysNovember15:
        name = "scripted"

        def stream(self, prompt):
            yield "The night market opened November 15 [1]."

    a = make_assistant(generator=SaysNovember15())
    ps = passages("The night market was opened by the mayor on 15 November 2020.")
    answer = a.answer("When did the night market open?", ps)
    assert answer.answer == "The night market opened November 15, 2020 [1]." and not answer.refused
    assert answer.sentences[0].supported and answer.sentences[0].text == answer.answer
