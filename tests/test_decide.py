"""Questions across articles answered by a decision: retrieval per named source in the pipeline, the narrow
yes/no or choice question, the composed answer with each source's evidence (answer/decide.py) — hand-written
records, a scripted generator for the narrow question."""

from __future__ import annotations

import pytest


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


def test_a_negated_question_is_asked_as_it_stands_and_its_verdict_kept(news):
    q = YES_NO_Q.replace("Does The Verge article say", "Does The Verge article fail to say")
    gen = Scripted("Yes")
    answer = news(gen).ask(q)
    assert answer.answer.startswith("Yes. The Verge reports: ") and not answer.refused
    assert "fail to say" in gen.prompts[0].messages[-1]["content"]
    assert news(Scripted("No")).ask(q).answer.startswith("No. ")


class Scored(Scripted):
    """A backend that can score: the log-odds of "Yes" it gives the narrow question is set by the test."""

    def __init__(self, support: float):
        super().__init__("Yes")
        self.support = support
        self.scored: list = []

    def score(self, prompt, options):
        self.scored.append(prompt.messages[-1]["content"])
        return {"Yes": self.support, "No": 0.0}


def test_a_backend_that_scores_decides_by_its_log_odds_of_yes_past_its_bias(news):
    from assistant.answer.yesno import YES_THRESHOLD

    gen = Scored(support=YES_THRESHOLD - 0.3)  # leans to "Yes", but less than its bias: "No"
    answer = news(gen).ask(YES_NO_Q)
    assert answer.answer.startswith("No. The Verge reports: ") and not answer.refused
    assert len(gen.scored) == 1 and gen.prompts == []  # scored, nothing generated
    assert "Reply with one word: Yes or No." in gen.scored[0] and "Apple found no valid alternative" in gen.scored[0]
    assert f"log-odds of Yes {YES_THRESHOLD - 0.3:+.2f}" in answer.method
    assert news(Scored(support=YES_THRESHOLD + 0.3)).ask(YES_NO_Q).answer.startswith("Yes. ")


def test_a_single_article_yes_no_question_is_decided_and_cites_its_evidence(news):
    q = "Did Eddy Cue tell the court that Google was the best choice for users?"
    answer = news(Scored(support=4.0)).ask(q)
    assert answer.answer.startswith("Yes. ") and "Eddy Cue told the court" in answer.answer
    assert [c.source for c in answer.citations] == ["The Verge"] and all(s.supported for s in answer.sentences)


def test_when_no_sentence_bears_on_the_question_it_is_refused(news):
    gen = Scored(support=4.0)
    answer = news(gen).ask("Did the zeppelin regatta start at dawn?")
    assert answer.refused and "do not settle it" in answer.method and gen.scored == []


def test_the_composed_evidence_is_the_sentence_that_bears_most_on_the_question(news):
    q = "Did the publishers say that Google siphons off their readers?"
    answer = news(Scored(support=3.0)).ask(q)
    first = answer.answer.split("Yes. ", 1)[1]
    assert first.startswith("The publishers say Google siphons off their readers and ad revenue")


def test_how_a_single_article_question_was_decided_is_in_its_json(news):
    out = news(Scored(support=4.0)).ask("Did Eddy Cue speak to the court?").to_json()
    assert "plan" not in out and out["method"].startswith(
        "decided from the evidence, the model's log-odds of Yes +4.00"
    )


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
        "Of The Verge piece on Apple's defense and the TechCrunch story on the lawsuit, which "
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
