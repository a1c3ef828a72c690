"""Questions across articles: the sources, dates and kind a question states (plan.py), retrieval per named source
(Budget.merge), and the composed yes/no or choice answer (multihop.py) — hand-written questions, extractive
embedder, a scripted generator for the narrow question."""

from __future__ import annotations

import pytest

from assistant.answer.plan import make_plan
from assistant.index.retrieve import Budget
from assistant.types import Passage

SOURCES = [
    "The Verge",
    "TechCrunch",
    "Sporting News",
    "The Independent - Life and Style",
    "The Independent - Sports",
    "FOX News - Health",
    "Cnbc | World Business News Leader",
    "Fortune",
    "Wired",
]


# ---- parsing what a question says about its sources and time


def test_named_sources_become_one_sub_query_each_and_a_yes_no_question_is_recognised():
    plan = make_plan(
        "Does 'The Verge' article suggest that Google's deals are unnecessary, while the TechCrunch article "
        "implies that Google harms news publishers?",
        SOURCES,
    )
    assert plan.kind == "yes/no"
    assert [sq.source for sq in plan.subqueries] == ["The Verge", "TechCrunch"]
    assert "harms news publishers" in plan.subqueries[1].query
    assert plan.unknown == []


def test_short_forms_and_capitals_of_a_stored_source_match_it():
    plan = make_plan(
        "Did The Independent report on Taylor Swift, and did CNBC report on Binance, as FOX News did?", SOURCES
    )
    named = {sq.source: sq.sources for sq in plan.subqueries}
    assert named["The Independent"] == ["The Independent - Life and Style", "The Independent - Sports"]
    assert named["CNBC"] == ["Cnbc | World Business News Leader"]
    assert named["FOX News"] == ["FOX News - Health"]
    # a word that is a source's name only with its capital is no mention: "a fortune" is not Fortune
    assert "Fortune" not in named and make_plan("Did he make a fortune?", SOURCES).subqueries == []


def test_a_date_stated_with_a_source_filters_its_sub_query_and_before_after_bound_one_side():
    plan = make_plan(
        "Between the TechCrunch report published on October 2, 2023, and the Fortune report published before "
        "November 1, 2023, and the Wired piece after 2023-12-05, was there a change in the portrayal of SBF?",
        SOURCES,
    )
    by = {sq.source: sq for sq in plan.subqueries}
    assert (by["TechCrunch"].since, by["TechCrunch"].until) == ("2023-10-01", "2023-10-03")  # a day either side
    assert (by["Fortune"].since, by["Fortune"].until) == (None, "2023-11-02")
    assert (by["Wired"].since, by["Wired"].until) == ("2023-12-04", None)
    assert plan.kind == "yes/no"


def test_two_days_stated_for_one_source_are_two_sub_queries():
    plan = make_plan(
        "Between the TechCrunch report on October 2, 2023, and the one on October 7, 2023, did the portrayal change?",
        SOURCES,
    )
    assert [(sq.source, sq.since) for sq in plan.subqueries] == [
        ("TechCrunch", "2023-10-01"),
        ("TechCrunch", "2023-10-06"),
    ]


def test_stated_options_and_a_choice_between_named_sources():
    plan = make_plan(
        "After The Verge reported on the case on November 6, 2023, and TechCrunch on December 15, 2023, does the "
        "reporting remain consistent or inconsistent?",
        SOURCES,
    )
    assert (plan.kind, plan.options) == ("choice", ["Consistent", "Inconsistent"])
    plan = make_plan(
        "Between the report from Sporting News on the injury and the Wired article on the gadget, which news "
        "source reported on a player's injury?",
        SOURCES,
    )
    assert (plan.kind, plan.options) == ("choice", ["Sporting News", "Wired"])
    # a question word that is not a choice between the named sources stays open
    assert make_plan("Which company, according to The Verge and TechCrunch, was sued?", SOURCES).kind == "open"


def test_a_negated_question_is_decided_in_its_positive_form():
    def asked(q: str) -> tuple[str, str, str]:
        return make_plan(q, SOURCES).decision

    q = "Between the TechCrunch report and The Verge's coverage, was there inconsistency in the portrayal of FTX?"
    assert asked(q) == (q.replace("inconsistency", "consistency"), "No", "Yes")
    q = "Did TechCrunch and then Wired report on Google, resulting in an inconsistent portrayal of its practices?"
    assert asked(q)[0] == q.replace("an inconsistent", "a consistent")
    q = "Was there no change in the focus of the Sporting News report after the Fortune article on October 2?"
    assert asked(q)[0] == q.replace("no change", "a change")
    q = "Did the 'Sporting News' fail to report on the match before Fortune reported on the bank?"
    assert asked(q)[0] == q.replace("fail to ", "")
    q = "Was there a discrepancy in the reporting of Google's practices between TechCrunch and The Verge?"
    assert asked(q)[0] == q.replace("a discrepancy", "agreement")
    # a negation inside what was reported is left alone, and so is a question with two negations
    for q in (
        "Did The Verge report on Bankman-Fried's knowledge of financial discrepancies, as did TechCrunch?",
        "Does the FOX News - Health article claim that sugar is not as addictive as drugs, as Fortune does?",
        "Was there no change in the inconsistent portrayal of Google by TechCrunch and The Verge?",
        "Who reported no change in the rates, TechCrunch or Fortune?",  # not a yes/no question
    ):
        assert asked(q) == ("", "Yes", "No"), q
    # a choice between a word and its negation is the yes/no question about the word
    q = "After The Verge and TechCrunch reported on the case, does the reporting remain consistent or inconsistent?"
    assert asked(q) == (q.replace("consistent or inconsistent", "consistent"), "Consistent", "Inconsistent")
    q = "Between the Sporting News report and the Wired article, is the tone similar or different?"
    assert asked(q) == ("", "Yes", "No")  # not a word and its negation: the model chooses


def test_a_source_nothing_indexed_is_from_is_unknown_but_people_and_titles_are_not():
    plan = make_plan(
        "Considering an article from The Verge and a Bloomberg report on the Watch Series 9, which feature is new?",
        SOURCES,
    )
    assert plan.unknown == ["Bloomberg"]
    assert make_plan("Considering a piece by The Washington Post, who won?", SOURCES).unknown == ["Washington Post"]
    # a person after "according to", a quoted title, a month after "article in": none is a source
    assert make_plan("Which company, according to Eddy Cue and The Verge, was the only option?", SOURCES).unknown == []
    assert make_plan("Does the 'NBA Rookie of the Year Odds' article from Sporting News agree?", SOURCES).unknown == []
    assert make_plan("Did the article in September 2023 by TechCrunch say so?", SOURCES).unknown == []


# ---- the passage budget: one ranking per named source, merged


def _p(chunk: str, source: str) -> Passage:
    return Passage(0, chunk, chunk, f"text of {chunk}", 1.0, {"source": source, "doc_id": chunk})


def test_merge_puts_each_sub_query_first_and_select_keeps_each_named_source():
    verge = [_p("v1", "The Verge"), _p("v2", "The Verge")]
    tc = [_p("t1", "TechCrunch"), _p("shared", "TechCrunch")]
    main = [_p("m1", "Wired"), _p("m2", "Wired"), _p("shared", "TechCrunch"), _p("m3", "Wired")]
    for i, ranking in enumerate([verge, tc]):
        for p in ranking:
            p.metadata["via"] = [i]
    for p in main:
        p.metadata["via"] = [-1]
    merged = Budget.merge([verge, tc, main], 6)
    assert [p.chunk_id for p in merged] == ["v1", "t1", "m1", "v2", "shared", "m2"]
    assert [p.n for p in merged] == [1, 2, 3, 4, 5, 6]
    assert merged[4].metadata["via"] == [-1, 1]
    # a budget of 2 would lose the question's own best; k rises to the last sub-query's first passage (within k_max)
    assert [p.chunk_id for p in Budget(1, 8, 10_000).choose(merged)][:2] == ["v1", "t1"]
    assert len(Budget(1, 8, 1).select(merged)) == 2
    assert len(Budget(2, 2, 0).select(merged)) == 2  # an explicit k is exactly k


# ---- the pipeline: retrieval per source, the composed answer, refusals

RECORDS = [
    {
        "id": "verge-1",
        "title": "Apple defends its search deal",
        "source": "The Verge",
        "published_at": "2023-09-26T17:00:00+00:00",
        "body": "Apple said there was no valid alternative to Google as the default search engine. "
        "Eddy Cue told the court that Google was the best choice for users.",
    },
    {
        "id": "tc-1",
        "title": "Publishers sue Google",
        "source": "TechCrunch",
        "published_at": "2023-12-15T10:00:00+00:00",
        "body": "A class action suit accuses Google of anticompetitive practices that harm news publishers. "
        "The publishers say Google siphons off their readers and ad revenue.",
    },
] + [
    {
        "id": f"sn-{i}",
        "title": f"Google search deal analysis {i}",
        "source": "Sporting News",
        "published_at": f"2023-10-{10 + i}T10:00:00+00:00",
        "body": f"Google search deal news {i}: Google pays Apple billions for the default search engine deal, "
        f"analysts said on day {i}.",
    }
    for i in range(8)
]


class Scripted:
    """Replies to the narrow question with a fixed word; to the usual prompt, with its first passage cited."""

    name = "scripted"

    def __init__(self, verdict: str):
        self.verdict = verdict
        self.prompts: list = []

    def stream(self, prompt):
        self.prompts.append(prompt)
        if "Reply with one word" in prompt.messages[-1]["content"]:
            yield from [self.verdict, " [1]", ". Because the passages say so at great length."]
        else:
            yield prompt.passages[0].text.split(". ")[0] + " [1]."


@pytest.fixture
def news(make_assistant, tmp_path):
    from tests.conftest import write_jsonl

    def make(generator=None):
        a = make_assistant(generator=generator)
        report = a.ingest([write_jsonl(tmp_path / "news.jsonl", RECORDS)])
        assert not report.errors
        return a

    return make


YES_NO_Q = (
    "Does The Verge article say that Apple found no valid alternative to Google as the default search engine, "
    "while the TechCrunch article reports that Google is accused of anticompetitive practices harming publishers?"
)


def test_each_named_source_brings_passages_though_another_source_ranks_first(news):
    a = news()
    plain = a.retrieve("Google default search engine deal Apple", k=4)
    assert {p.metadata["source"] for p in plain} == {"Sporting News"}  # the question's own ranking alone
    passages = a.passages_for(YES_NO_Q)
    assert {"The Verge", "TechCrunch"} <= {p.metadata["source"] for p in passages}


def test_a_yes_no_question_across_sources_is_answered_yes_first_then_each_source_cited(news):
    gen = Scripted("Yes")
    answer = news(gen).ask(YES_NO_Q)
    assert answer.answer.startswith("Yes. The Verge reports: ")
    assert "TechCrunch reports: " in answer.answer
    assert {c.source for c in answer.citations} == {"The Verge", "TechCrunch"}
    assert not answer.refused and answer.unsupported == [] and all(s.supported for s in answer.sentences)
    assert len(gen.prompts) == 1  # the narrow question only: no second generation
    out = answer.to_json()["plan"]
    assert out["kind"] == "yes/no" and [s["source"] for s in out["subqueries"]] == ["The Verge", "TechCrunch"]
    assert all(s["brought"] for s in out["subqueries"]) and "narrow question" in out["method"]


def test_the_model_saying_no_gives_no(news):
    answer = news(Scripted("No")).ask(YES_NO_Q)
    assert answer.answer.startswith("No. ") and not answer.refused


def test_a_negated_question_gets_the_inverse_of_the_models_verdict_on_its_positive_form(news):
    q = YES_NO_Q.replace("Does The Verge article say", "Does The Verge article fail to say")
    gen = Scripted("Yes")
    answer = news(gen).ask(q)
    assert answer.answer.startswith("No. The Verge reports: ") and not answer.refused
    asked = gen.prompts[0].messages[-1]["content"]
    assert "Does The Verge article say that" in asked and "fail to" not in asked
    assert "asked as" in answer.method and "it said 'Yes [1]' → No)" in answer.method
    assert news(Scripted("No")).ask(q).answer.startswith("Yes. ")


def test_consistent_or_inconsistent_is_decided_as_a_yes_no_about_consistent(news):
    q = (
        "After The Verge reported on Apple's search deal and TechCrunch on the class action suit, is their "
        "portrayal of Google consistent or inconsistent?"
    )
    gen = Scripted("Yes")
    answer = news(gen).ask(q)
    assert answer.answer.startswith("Consistent: The Verge reports: ") and "TechCrunch reports: " in answer.answer
    asked = gen.prompts[0].messages[-1]["content"]
    assert "Google consistent?" in asked and "Reply with one word: Yes or No" in asked
    assert news(Scripted("No")).ask(q).answer.startswith("Inconsistent: ")


def test_a_choice_between_named_sources_answers_with_the_one_name_and_its_evidence(news):
    q = (
        "Between the report from The Verge on Apple's defense and the TechCrunch article on the lawsuit, which "
        "news source reported on a class action suit?"
    )
    answer = news(Scripted("TechCrunch")).ask(q)
    assert answer.answer.startswith("TechCrunch reports: ") and "The Verge" not in answer.answer
    assert [c.source for c in answer.citations] == ["TechCrunch"]


def test_a_model_naming_no_option_gets_the_usual_prompt(news):
    gen = Scripted("Perhaps")
    answer = news(gen).ask(YES_NO_Q)
    assert len(gen.prompts) == 2 and not answer.answer.startswith(("Yes", "No"))
    assert "usual" in answer.method


def test_a_question_about_what_an_unindexed_source_reported_is_refused(news):
    gen = Scripted("Yes")
    answer = news(gen).ask(
        "Considering an article from The Verge and a Bloomberg report on Apple, which executive testified?"
    )
    assert answer.refused and answer.answer == "Insufficient information."
    assert gen.prompts == [] and "Bloomberg" in answer.method
    assert answer.to_json()["plan"]["unknown_sources"] == ["Bloomberg"]


def test_explain_shows_the_sub_questions_what_each_brought_and_how_the_answer_was_made(news):
    from assistant.interfaces.present import explain_text

    text = explain_text(news(Scripted("Yes")).ask(YES_NO_Q))
    assert "Sub-questions" in text and "The Verge:" in text and "brought [" in text
    assert "narrow question" in text


def test_a_person_after_by_is_no_missing_source():
    from assistant.answer.plan import make_plan

    sources = ["The Verge", "TechCrunch"]
    assert make_plan("What is the plan outlined by Zelensky that the strikes are part of?", sources).unknown == []
    assert make_plan("As reported by Fortune, who was fired?", sources).unknown == ["Fortune"]
    # a store whose articles name no source cannot tell a missing source from a name
    assert make_plan("As reported by Fortune, who was fired?", []).unknown == []
