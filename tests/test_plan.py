"""Planning a question across articles: the sources, dates and kind of answer it states (answer/plan.py) —
hand-written questions over made-up stored sources."""

from __future__ import annotations

from assistant.answer.plan import make_plan

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
        "Does 'The Verge' piece argue that the ferry subsidy is wasteful, while the TechCrunch article "
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
        "November 1, 2023, and the Wired piece after 2023-12-05, did the tone about the ferry operator shift?",
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
        "Comparing the Sporting News piece on the injury with the Wired article on the gadget, which news "
        "outlet covered the sprained ankle?",
        SOURCES,
    )
    assert (plan.kind, plan.options) == ("choice", ["Sporting News", "Wired"])
    # a question word that is not a choice between the named sources stays open
    assert make_plan("Which company, according to The Verge and TechCrunch, was sued?", SOURCES).kind == "open"


def test_a_negated_yes_no_question_is_decided_as_it_stands():
    # no flipping and inverting: a negated question is as often true as false, so its verdict is its own
    for q in (
        "Between the TechCrunch report and The Verge's coverage, was there inconsistency in the portrayal of FTX?",
        "Was there no change in the focus of the Sporting News report after the Fortune article on October 2?",
        "Did the 'Sporting News' fail to cover the regatta before Fortune wrote about the ferry bank?",
        "Who reported no change in the rates, TechCrunch or Fortune?",
    ):
        assert make_plan(q, SOURCES).decision == ("", "Yes", "No"), q

    def asked(q: str) -> tuple[str, str, str]:
        return make_plan(q, SOURCES).decision

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
    assert make_plan("Does the 'Harbor Regatta Preview' article from Sporting News agree?", SOURCES).unknown == []
    assert make_plan("Did the article in September 2023 by TechCrunch say so?", SOURCES).unknown == []


def test_a_person_after_by_is_no_missing_source():
    sources = ["The Verge", "TechCrunch"]
    assert make_plan("What is the plan outlined by Zelensky that the strikes are part of?", sources).unknown == []
    assert make_plan("As reported by Fortune, who was fired?", sources).unknown == ["Fortune"]
    # a store whose articles name no source cannot tell a missing source from a name
    assert make_plan("As reported by Fortune, who was fired?", []).unknown == []


def test_an_indirect_question_is_not_a_yes_no_question():
    assert make_plan("Can you tell me who won the Harbor Regatta?", SOURCES).kind == "open"
    assert make_plan("Do you know when the night market opens?", SOURCES).kind == "open"
    assert make_plan("Could you please list which ferries stop at Larkspur?", SOURCES).kind == "open"
    assert make_plan("Do you think the night market will open?", SOURCES).kind == "yes/no"
    assert make_plan("Did the council say when the night market opens?", SOURCES).kind == "yes/no"
