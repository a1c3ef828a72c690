"""The answerer: prompt → generate → a list of steps, each testable alone (assistant/answer/answerer.py)."""

from __future__ import annotations

from assistant.answer.answerer import (
    Answerer,
    CheckAnswer,
    CompleteDate,
    DropNotice,
    Draft,
    NoteConflict,
    Verify,
    prompt_for,
)
from assistant.answer.prompt import REDACTED
from assistant.answer.query import Query
from assistant.answer.verify import Verification
from assistant.types import Passage, SentenceCheck
from conftest import write_jsonl


def passages(*texts: str) -> list[Passage]:
    return [Passage(n, f"c{n}", f"d{n}", t, 1.0, {"title": "t"}) for n, t in enumerate(texts, 1)]


class Scripted:
    """A model that says what it is told, one reply per prompt, and remembers the prompts."""

    name = "scripted"

    def __init__(self, *replies: str):
        self.replies, self.prompts = list(replies), []

    def stream(self, prompt):
        self.prompts.append(prompt)
        yield self.replies.pop(0)


def draft(a, question: str, ps: list[Passage], raw: str) -> Draft:
    q = Query.read(question)
    return Draft(q, ps, prompt_for(a.settings, q, ps), raw)


def test_drop_notice_removes_the_copied_removal_notice_and_its_citation(make_assistant):
    d = draft(make_assistant(), "What opened?", passages("The ferry opened."), f"The ferry opened [1]. {REDACTED} [1]")
    DropNotice()(d)
    assert d.raw == "The ferry opened [1]."


def test_verify_checks_the_raw_answer_against_the_passages_as_the_model_saw_them(make_assistant):
    a = make_assistant()
    ps = passages("The harbour ferry to Brill leaves at 7:40 every morning.", "Brill has a small museum.")
    d = draft(a, "When does the ferry leave?", ps, "The ferry leaves at 7:40 [2].")
    Verify(a.verifier, withhold_unsupported=True)(d)
    assert d.verification is not None and not d.verification.refused
    # the citation was moved to the passage that holds the time
    assert d.verification.sentences[0].cited == [1] and d.verification.sentences[0].repaired_from == [2]


def test_check_answer_answers_again_without_the_passages_of_another_year(make_assistant):
    a = make_assistant()
    ps = passages("Ada Brenner won the 2019 Harbour Marathon.", "Tomas Ekwall won the 2021 Harbour Marathon.")
    q = "Who won the Harbour Marathon in 2021?"
    d = draft(a, q, ps, "Ada Brenner won the 2019 Harbour Marathon [1].")
    verify = Verify(a.verifier, withhold_unsupported=True)
    verify(d)
    asked_again = []

    def generate(prompt):
        asked_again.append([p.n for p in prompt.passages])
        return "Tomas Ekwall won the 2021 Harbour Marathon [2]."

    CheckAnswer(generate, verify, lambda query, chosen: prompt_for(a.settings, query, chosen))(d)
    assert asked_again == [[2]]
    assert d.check.check == "year" and d.check.retried_with == [2] and "Ada Brenner" in d.check.first_answer
    assert d.verification is not None and "Tomas Ekwall" in d.verification.answer


def test_check_answer_refuses_when_no_other_passage_can_answer_and_keeps_the_first_answer(make_assistant):
    a = make_assistant()
    ps = passages("The Kestrel drone flies about 40 miles.", "Its maker is based in Leeds.")
    d = draft(a, "How many Kestrel drones were delivered?", ps, "The Kestrel drone flies about 40 miles [1].")
    verify = Verify(a.verifier, withhold_unsupported=True)
    verify(d)

    def never(prompt):
        raise AssertionError("no passage could answer: nothing is generated again")

    CheckAnswer(never, verify, lambda query, chosen: prompt_for(a.settings, query, chosen))(d)
    assert d.check.check == "kind" and d.verification is not None and d.verification.refused


def test_note_conflict_says_another_passage_gives_another_figure(make_assistant):
    a = make_assistant()
    ps = passages("The Kestrel drone has a range of 40 miles.", "Reviewers put the Kestrel drone range at 65 miles.")
    d = draft(a, "What is the range of the Kestrel drone?", ps, "")
    sentence = SentenceCheck("Its range is 40 miles [1].", "Its range is 40 miles.", [1], True)
    d.verification = Verification("Its range is 40 miles [1].", False, [sentence])
    NoteConflict()(d)
    assert "65 miles" in d.verification.answer and d.verification.sentences[-1].check == "conflict"
    # a failed answer check means the answer is not the one to annotate
    d2 = draft(a, "What is the range of the Kestrel drone?", ps, "")
    d2.verification = Verification("Its range is 40 miles [1].", False, [sentence])
    d2.check.check = "kind"
    NoteConflict()(d2)
    assert "65 miles" not in d2.verification.answer


def test_complete_date_gives_the_year_its_evidence_states(make_assistant):
    a = make_assistant()
    ps = passages("The bridge reopens on 3 March 2025 after repairs.")
    d = draft(a, "When does the bridge reopen?", ps, "")
    sentence = SentenceCheck("It reopens March 3 [1].", "It reopens March 3.", [1], True, evidence={1: ps[0].text})
    d.verification = Verification("It reopens March 3 [1].", False, [sentence])
    CompleteDate()(d)
    assert d.verification.answer == "It reopens March 3, 2025 [1]."


def test_the_answerer_runs_the_steps_it_is_given_in_order(make_assistant):
    a = make_assistant(generator=Scripted("The Kestrel drone flies about 40 miles [1]."))
    ps = passages("The Kestrel drone flies about 40 miles.")
    ran = []

    class Record:
        name = "record"

        def __call__(self, d):
            ran.append(d.raw)

    steps = [DropNotice(), Record(), Verify(a.verifier, withhold_unsupported=True)]
    answerer = Answerer(a.backends, a.settings, steps)
    *pieces, answer = answerer.stream(Query.read("How many Kestrel drones were delivered?"), ps)
    assert ran == ["The Kestrel drone flies about 40 miles [1]."]
    # no answer check in the list: the distance stands for "how many"
    assert not answer.refused and answer.answer_check.check == ""
    # the default list holds the checks, and withholds it
    a2 = make_assistant(generator=Scripted("The Kestrel drone flies about 40 miles [1]."))
    assert a2.answer("How many Kestrel drones were delivered?", ps).refused


def test_a_question_is_read_once_per_ask(make_assistant, monkeypatch, tmp_path):
    """The follow-up rewrite and the plan are computed once per question, however many stages read them."""
    import assistant.answer.followup as followup
    import assistant.answer.plan as plan

    a = make_assistant()
    records = [
        {
            "id": "h1",
            "title": "Ferry",
            "source": "Harbour Gazette",
            "published_at": "2025-02-01",
            "body": "The Brill ferry now leaves at 7:40 every morning, the harbour office said.",
        },
        {
            "id": "c1",
            "title": "Museum",
            "source": "Coast Courier",
            "published_at": "2025-02-03",
            "body": "The Brill museum reopened with a new ferry exhibit, the Courier reported.",
        },
    ]
    a.ingest([write_jsonl(tmp_path / "news.jsonl", records)])
    calls = {"plan": 0, "rewrite": 0}
    real_plan, real_rewrite = plan.make_plan, followup.rewrite

    def counted_plan(*args):
        calls["plan"] += 1
        return real_plan(*args)

    def counted_rewrite(*args):
        calls["rewrite"] += 1
        return real_rewrite(*args)

    monkeypatch.setattr(plan, "make_plan", counted_plan)
    monkeypatch.setattr(followup, "rewrite", counted_rewrite)
    history = [("When does the Brill ferry leave?", "At 7:40 [1].")]
    answer = a.ask("and according to the Harbour Gazette, what about the museum?", history=history)
    assert calls == {"plan": 1, "rewrite": 1}
    assert answer.question != "and according to the Harbour Gazette, what about the museum?"
