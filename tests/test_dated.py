"""Dated answers (assistant/answer/dated.py): the answer says when its evidence was published, per source; questions
about the newest state of things prefer newer passages (index/retrieve.py); a newer figure wins over an older one
(answer/checks/conflicts.py)."""

from __future__ import annotations

import json

import pytest

from assistant.answer.dated import asks_recent, dated_note, short_source
from assistant.answer.query import Query
from assistant.index.retrieve import recency_rerank
from assistant.types import Document, Hit, Passage, SentenceCheck
from conftest import write_jsonl


class FirstPassageGenerator:
    """A model that answers with the first sentence of the first passage it is given (and cites it)."""

    name = "first"

    def stream(self, prompt):
        p = prompt.passages[0]
        yield p.text.split(". ")[0].rstrip(".") + f" [{p.n}]."


def dated(n: int, text: str, day: str, source: str) -> Passage:
    return Passage(n, f"c{n}", f"d{n}", text, 1.0, {"title": "t", "published_at": day, "source": source})


# ---- the question: does it ask for the newest state of things


@pytest.mark.parametrize(
    "question",
    [
        "Who runs the Tarnby lighthouse now?",
        "Is the Orrin canal still closed to barges?",
        "What is the latest toll figure for the Pellam tunnel?",
        "Who currently chairs the Wexcombe rowing club?",
        "What is the most recent estimate of the Brill harvest?",
        "How many ferries has Quenby ordered so far?",
    ],
)
def test_questions_about_the_newest_state_of_things_are_recent(question):
    assert asks_recent(question) and Query.read(question).recent


@pytest.mark.parametrize(
    "question",
    [
        "Who built the Tarnby lighthouse?",
        "When did the Orrin canal close to barges?",
        "What did the now-defunct Pellam ferry company charge?",
        "Do you know who founded the Wexcombe rowing club?",
        'Did the Pellam Post review of "The Latest Tide" praise its ending?',
        "Was the Orrin canal still closed on 4 September 2023?",
    ],
)
def test_other_questions_are_not(question):
    assert not asks_recent(question) and not Query.read(question).recent


def test_a_follow_up_is_read_as_the_standalone_question_it_stands_for():
    q = Query.read("and is it still open?", [("When did the Orrin canal reopen?", "It reopened in May [1].")])
    assert q.recent


# ---- the note: when the evidence was published, per source


def test_the_note_names_each_source_and_day_newest_first():
    ps = [
        dated(1, "The Orrin canal closed to barges in spring.", "2023-11-05T09:00:00+00:00", "TechCrunch"),
        dated(2, "Nothing else.", "2023-11-20", "Elsewhere"),
        dated(3, "The canal reopened on Monday.", "2023-12-12", "The Verge - Tech"),
    ]
    sentences = [
        SentenceCheck("It closed in spring [1].", "It closed in spring.", [1], True),
        SentenceCheck("It reopened on Monday [3].", "It reopened on Monday.", [3], True),
        SentenceCheck("It was not checked [2].", "It was not checked.", [2], False),
    ]
    note = dated_note(sentences, ps)
    assert note is not None
    assert note.text == "As of 12 December 2023, per The Verge [3]; 5 November 2023, per TechCrunch [1]."
    assert note.cited == [1, 3] and note.supported and note.check == "dated"


def test_passages_of_one_source_and_day_are_one_entry_and_undated_ones_add_nothing():
    ps = [
        dated(1, "a", "2024-03-02", "Coastal Times"),
        dated(2, "b", "2024-03-02", "Coastal Times"),
        dated(3, "c", "", "Valley Herald"),
    ]
    both = [SentenceCheck("A and b [1][2][3].", "A and b.", [1, 2, 3], True)]
    note = dated_note(both, ps)
    assert note is not None and note.text == "As of 2 March 2024, per Coastal Times [1][2]."
    assert dated_note([SentenceCheck("C [3].", "C.", [3], True)], ps) is None


def test_a_source_name_is_said_short():
    assert short_source("Cnbc | World Business News Leader") == "Cnbc"
    assert short_source("The Independent - Life and Style") == "The Independent"
    assert short_source("Reuters") == "Reuters"


def test_an_answer_says_when_its_evidence_was_published_and_its_citations_carry_the_day(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [dated(1, "The Pellam tunnel toll rose to nine crowns on Monday.", "2024-11-18", "Reuters")]
    answer = a.answer("How much is the Pellam tunnel toll?", ps)
    assert answer.answer == (
        "The Pellam tunnel toll rose to nine crowns on Monday [1]. As of 18 November 2024, per Reuters [1]."
    )
    assert answer.citations[0].as_of == "18 November 2024" and answer.as_of == "2024-11-18"
    data = answer.to_json()
    assert data["as_of"] == "2024-11-18" and data["citations"][0]["as_of"] == "18 November 2024"
    assert data["sentences"][-1]["check"] == "dated"
    # turned off, the answer is the model's alone
    plain = make_assistant(generator=FirstPassageGenerator(), date_answers=False)
    assert plain.answer("How much is the Pellam tunnel toll?", ps).answer.endswith("nine crowns on Monday [1].")


def test_undated_evidence_and_refusals_get_no_date(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    undated = [Passage(1, "c1", "d1", "The Pellam tunnel toll rose to nine crowns.", 1.0, {"title": "t"})]
    answer = a.answer("How much is the Pellam tunnel toll?", undated)
    assert "As of" not in answer.answer and answer.as_of == "" and answer.citations[0].as_of == ""
    refused = a.answer("How much is the Pellam tunnel toll?", [])
    assert refused.refused and "As of" not in refused.answer


def test_ask_json_shows_the_dates(tmp_path, data_dir):
    from typer.testing import CliRunner

    from assistant.interfaces.cli.app import app

    corpus = write_jsonl(
        tmp_path / "news.jsonl",
        [
            {
                "id": "toll-1",
                "title": "Pellam tunnel toll rises",
                "source": "Coastal Times",
                "published_at": "2024-03-02",
                "body": "The Pellam tunnel toll rose to nine crowns for cars on Saturday.",
            }
        ],
    )
    runner = CliRunner()
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_LLM": "extractive"}
    assert runner.invoke(app, ["ingest", str(corpus)], env=env).exit_code == 0
    got = runner.invoke(app, ["ask", "How much is the Pellam tunnel toll for cars?", "--json"], env=env)
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert "As of 2 March 2024, per Coastal Times" in data["answer"] and data["as_of"] == "2024-03-02"
    assert [c["as_of"] for c in data["citations"]] == ["2 March 2024"]


# ---- retrieval: newer first among the relevant


def hit(cid: str, day: str) -> Hit:
    return Hit(cid, cid, {"doc_id": cid, "published_at": day}, 0.0)


def test_recency_rerank_lifts_a_newer_passage_over_an_about_as_relevant_older_one():
    rrf = 60
    ranked = [(hit("old", "2023-10-01"), 2 / (rrf + 1)), (hit("new", "2023-12-01"), 2 / (rrf + 3))]
    assert [h.chunk_id for h, _ in recency_rerank(ranked, 1.0)] == ["new", "old"]
    assert recency_rerank(ranked, 1.0)[0][0].metadata["recency"] == 1
    # but not over a passage far more relevant: a date is a preference, not a filter
    ranked = [(hit("old", "2023-10-01"), 2 / (rrf + 1)), (hit("new", "2023-12-01"), 1 / (rrf + 20))]
    assert [h.chunk_id for h, _ in recency_rerank(ranked, 1.0)] == ["old", "new"]
    # undated passages get nothing; weight 0 changes nothing
    ranked = [(hit("undated", ""), 2 / (rrf + 1)), (hit("new", "2023-12-01"), 2 / (rrf + 2))]
    assert [h.chunk_id for h, _ in recency_rerank(ranked, 1.0)] == ["new", "undated"]
    assert [h.chunk_id for h, _ in recency_rerank(ranked, 0.0)] == ["undated", "new"]


REPORTS = [
    ("2023-09-04", "The Orrin canal lock keeper Ada Voss reported the canal closed to barges for repairs this week."),
    ("2023-10-09", "Orrin canal news: repairs on the canal continue and barges wait at the lock, said the keeper."),
    ("2023-11-13", "On the Orrin canal barges are moving again, the lock keeper said, as repairs ended."),
]


def test_a_question_about_now_ranks_the_newest_relevant_report_first(make_assistant):
    a = make_assistant()
    docs = [
        Document(f"orrin-{i}", f"Orrin canal report {i}", text, "", f"h{i}", "Canal Gazette", day)
        for i, (day, text) in enumerate(REPORTS)
    ]
    filler = [
        Document(f"f{i}", f"Market day {i}", f"The Quenby market sold {i} crates of pears.", "", f"f{i}", "X", day)
        for i, day in enumerate(["2023-12-01", "2023-12-02"])
    ]
    assert a.add_documents(docs + filler).errors == []
    plain = a.passages_for("Is the Orrin canal closed to barges for repairs?", k=3)
    recent = a.passages_for("Is the Orrin canal still closed to barges for repairs?", k=3)
    assert a.rank("Is the Orrin canal closed to barges for repairs?", 3)[0].doc_id == "orrin-0"
    top = a.rank("Is the Orrin canal still closed to barges for repairs?", 3)
    assert top[0].doc_id == "orrin-2" and top[0].metadata["recency"] >= 1
    # the newer reports rank first, not a date filter: the pear markets (newer still) stay out
    assert {p.doc_id for p in recent} == {p.doc_id for p in plain} == {"orrin-0", "orrin-1", "orrin-2"}


# ---- conflicting figures: the newer one wins, the older is noted with its day


def test_a_newer_passage_gives_the_figure_and_the_older_is_noted_with_its_day(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [
        dated(1, "The Kestrel drone has a range of 40 miles, its maker said.", "2023-10-02", "Wire"),
        dated(2, "The Kestrel drone range is now 65 miles after an upgrade.", "2023-12-12", "Gazette"),
    ]
    answer = a.answer("What is the range of the Kestrel drone?", ps)
    assert answer.answer.startswith("The Kestrel drone has a range of 65 miles, its maker said [2].")
    assert "An older passage, of 2 October 2023, gave 40 miles [1]." in answer.answer
    assert answer.answer.endswith("As of 12 December 2023, per Gazette [2].")
    first = answer.sentences[0]
    assert first.cited == [2] and first.repaired_from == [1] and answer.as_of == "2023-12-12"


def test_an_older_uncited_figure_is_noted_with_its_day_and_the_answer_stands(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [
        dated(1, "The Kestrel drone range is now 65 miles after an upgrade.", "2023-12-12", "Gazette"),
        dated(2, "The Kestrel drone has a range of 40 miles, its maker said.", "2023-10-02", "Wire"),
    ]
    answer = a.answer("What is the range of the Kestrel drone?", ps)
    assert answer.answer.startswith("The Kestrel drone range is now 65 miles after an upgrade [1].")
    assert "An older passage, of 2 October 2023, gives 40 miles instead [2]." in answer.answer


def test_a_question_about_a_past_time_keeps_its_figure(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [
        dated(1, "In 2022 the Kestrel drone had a range of 40 miles, its maker said.", "2023-10-02", "Wire"),
        dated(2, "The Kestrel drone range is now 65 miles after an upgrade.", "2023-12-12", "Gazette"),
    ]
    answer = a.answer("What was the range of the Kestrel drone in 2022?", ps)
    assert "40 miles" in answer.sentences[0].text and answer.sentences[0].cited == [1]


def test_amounts_of_money_are_figures_too(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [
        dated(1, "The Brill concert film has sold over $100 million of tickets.", "2023-10-10", "Wire"),
        dated(2, "The Brill concert film closes its run with over $250 million in tickets.", "2023-12-03", "Gazette"),
    ]
    answer = a.answer("How much has the Brill concert film sold in tickets?", ps)
    assert "$250 million" in answer.sentences[0].text and "gave $100 million [1]" in answer.answer


def test_a_figure_of_another_thing_is_no_conflict(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = [
        dated(1, "Quenby Freight raised $60 million this month, the report said.", "2023-11-30", "Wire"),
        dated(2, "The company reported $1.45 billion in revenue for the month, a report said.", "2023-12-02", "Wire"),
        dated(3, "Quenby Freight raised $40 million this month, a report said.", "2023-11-02", "Herald"),
    ]
    answer = a.answer("How much did Quenby Freight raise this month, per the latest report?", ps)
    assert "$1.45 billion" not in answer.answer and "$60 million" in answer.sentences[0].text
    assert "An older passage, of 2 November 2023, gives $40 million instead [3]." in answer.answer


def test_the_eval_judge_reads_the_date_beside_the_passage(make_assistant):
    from assistant.answer.dated import dateline

    a = make_assistant()
    p = dated(1, "The Pellam tunnel toll rose to nine crowns.", "2024-11-18T10:00:00Z", "Reuters | World")
    assert dateline(p) == "Published 18 November 2024, per Reuters."
    note = "As of 18 November 2024, per Reuters"
    assert a.verifier.supports(note, [f"{dateline(p)}\n{p.text}"]).supported
    assert not a.verifier.supports(note, [p.text]).supported
    assert not a.verifier.supports("As of 19 November 2024, per Reuters", [f"{dateline(p)}\n{p.text}"]).supported


def test_the_http_api_citations_carry_the_day(make_assistant):
    from assistant.interfaces.server.chat import extras

    a = make_assistant(generator=FirstPassageGenerator())
    ps = [dated(1, "The Pellam tunnel toll rose to nine crowns on Monday.", "2024-11-18", "Reuters")]
    body = extras(a.answer("How much is the Pellam tunnel toll?", ps))
    assert [(c["published_at"], c["as_of"]) for c in body["citations"]] == [("2024-11-18", "18 November 2024")]


def test_a_streamed_answer_ends_with_its_date_once_and_is_the_answer(make_assistant):
    from assistant.types import Answer

    a = make_assistant(generator=FirstPassageGenerator())
    ps = [dated(1, "The Pellam tunnel toll rose to nine crowns on Monday.", "2024-11-18", "Reuters")]
    pieces = list(a.answer_stream("Why did the Pellam tunnel toll rise?", ps))
    final = pieces[-1]
    assert isinstance(final, Answer)
    shown = "".join(p for p in pieces if isinstance(p, str))
    assert " ".join(shown.split()) == " ".join(final.answer.split())  # the stream is the answer, nothing twice
    assert shown.count("As of 18 November 2024, per Reuters") == 1 and shown.rstrip().endswith("[1].")


def test_the_chat_stream_ends_with_the_date_once_and_its_citations_carry_it(make_assistant, news_jsonl):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import ServerConfig, create_app

    a = make_assistant()
    assert a.ingest([news_jsonl]).errors == []
    question = "How many steel cables did engineers replace on the Kelvingrove harbour bridge?"
    with TestClient(create_app(a, ServerConfig()), base_url="http://127.0.0.1:8000") as client:
        body = {"messages": [{"role": "user", "content": question}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body) as r:
            data = [line[len("data: ") :] for line in r.iter_lines() if line.startswith("data: ")]
    chunks = [json.loads(d) for d in data[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.count("As of 2 March 2024, per Coastal Times") == 1 and "Checked answer" not in text
    assert [c["as_of"] for c in chunks[-1]["citations"]] == ["2 March 2024"]
