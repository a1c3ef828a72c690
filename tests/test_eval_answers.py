"""`assistant eval --answers FILE`: answers made by any system, scored with the pipeline's metric table.

The questions are hand-written about the hand-written news records of conftest (NEWS_RECORDS); the pipeline answers
them (extractive backend, passages numbered in rank order), and the same answers, written as a RAGAS-shaped file
and in this project's field names, must give the same figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.eval.metrics import METRICS
from assistant.interfaces.cli import app

from conftest import write_jsonl

QUESTIONS = [
    {
        "id": "hand-cables",
        "question": "How many steel cables did engineers replace on the Kelvingrove harbour bridge?",
        "answers": ["312"],
    },
    {
        "id": "hand-apples",
        "question": "How many tonnes of apples did growers in the Tamsworth valley pick this season?",
        "answers": ["48,000", "48000"],
    },
    {
        "id": "hand-atlas",
        "question": "Which family donated the rare atlas to the city library?",
        "answers": ["Quenby"],
    },
    {
        "id": "hand-ferry",
        "question": "Until what time will night crossings of the harbour run?",
        "answers": ["midnight"],
    },
    {"id": "hand-mayor", "question": "Who is the mayor of Kelvingrove?", "answers": []},
]


def run(*args):
    return CliRunner().invoke(app, ["eval", *map(str, args)])


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def one_line_error(result, pattern: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def pipeline_run(tmp_path, news_jsonl, monkeypatch):
    """The pipeline's run over the hand-written questions (passages numbered best first, as RAGAS orders them)."""
    monkeypatch.setenv("ASSISTANT_PASSAGE_ORDER", "rank")
    # the contexts a file of answers carries are the passages' texts; the pipeline's "As of …" sentence is checked
    # against their date lines, which such a file does not hold: compare the answers without it
    monkeypatch.setenv("ASSISTANT_DATE_ANSWERS", "false")
    questions = write_jsonl(tmp_path / "hand.jsonl", QUESTIONS)
    out = tmp_path / "pipeline"
    ok(questions, "--corpus", news_jsonl, "--out", out, "--llm", "extractive")
    return questions, out


def ragas_records(rows: list[dict], with_reference: bool = True) -> list[dict]:
    """The pipeline's answers as a RAGAS evaluation dataset would hold them."""
    out = []
    for r in rows:
        passages = sorted(r["response"]["passages"], key=lambda p: p["n"])
        assert [p["n"] for p in passages] == list(range(1, len(passages) + 1))
        record = {
            "user_input": r["question"],
            "response": r["response"]["answer"],
            "retrieved_contexts": [p["text"] for p in passages],
            "latency_ms": r["metrics"]["latency_ms"],
        }
        if with_reference:
            record["reference"] = r["gold"]["answers"][0] if r["gold"]["answers"] else "Insufficient information."
        out.append(record)
    return out


def same_figures(pipeline: dict, scored: dict) -> list[str]:
    names = [m.name for m in METRICS if m.key is not None and m.name in pipeline]
    assert {"answer_accuracy", "citation_recall", "faithfulness", "answer_relevancy", "context_recall"} <= set(names)
    assert {"rejection_rate", "correct_and_cited", "context_precision", "latency_ms_p50"} <= set(names)
    for name in names:
        assert scored.get(name) == pytest.approx(pipeline[name]), name
    return names


def test_a_ragas_file_of_the_pipelines_answers_gives_the_pipelines_figures(tmp_path, pipeline_run):
    questions, pipeline = pipeline_run
    rows = results(pipeline)
    ragas = write_jsonl(tmp_path / "ragas.jsonl", ragas_records(rows))
    out = tmp_path / "scored"
    result = ok("--answers", ragas, "--out", out)
    got, want = summary(out), summary(pipeline)
    assert got["n"] == 5 and got["n_answerable"] == 4 and got["n_unanswerable"] == 1
    same_figures(want, got)
    assert got["left_out"] == {}
    assert got["settings"]["system"] == "ragas" and got["settings"]["answers"] == str(ragas.resolve())
    assert f"5 questions → {out}/report.md" in result.stdout
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"answers by `ragas` from `{ragas.resolve()}`" in report
    # each per-question figure is the pipeline's for the same question
    by_question = {r["question"]: r["metrics"] for r in results(out)}
    for r in rows:
        scored = by_question[r["question"]]
        for key in ("correct", "refused", "citation_recall", "faithfulness", "context_recall"):
            assert scored.get(key) == pytest.approx(r["metrics"].get(key)), key

    # --compare with the pipeline's run: the same questions (matched by text: the file has no ids), no deltas
    ours = write_jsonl(
        tmp_path / "ours.jsonl",
        [
            {
                "id": r["id"],
                "question": r["question"],
                "answer": r["response"]["answer"],
                "contexts": [{"n": p["n"], "text": p["text"]} for p in r["response"]["passages"]],
                "gold": r["gold"]["answers"],
                "unanswerable": r["gold"]["unanswerable"],
                "latency_ms": r["metrics"]["latency_ms"],
                "system": "this pipeline, again",
            }
            for r in rows
        ],
    )
    again = tmp_path / "ours"
    result = ok("--answers", ours, "--out", again, "--compare", pipeline)
    block = summary(again)["compare"]
    assert block["questions"] == "same" and block["flipped"] == []
    assert all(d == pytest.approx(0.0) for d in block["deltas"].values())
    same_figures(want, summary(again))
    assert f"compared with {pipeline}: " in result.stderr


def test_gold_comes_from_the_question_set_when_the_file_has_none(tmp_path, pipeline_run):
    questions, pipeline = pipeline_run
    rows = results(pipeline)
    bare = write_jsonl(tmp_path / "bare.jsonl", ragas_records(rows, with_reference=False))
    out = tmp_path / "with-set"
    ok(questions, "--answers", bare, "--out", out)
    same_figures(summary(pipeline), summary(out))
    assert [r["id"] for r in results(out)] == [q["id"] for q in QUESTIONS]  # matched to the set by question text

    # the same file alone has no gold: what needs one is left out, by name, with the reason
    alone = tmp_path / "alone"
    result = ok("--answers", bare, "--out", alone)
    s = summary(alone)
    assert s["n_ungraded"] == 5 and s["n_answerable"] == 0
    for name in ("answer_accuracy", "rejection_rate", "false_refusal_rate", "context_recall", "correct_and_cited"):
        assert name not in s and s["left_out"][name].startswith("no gold answer"), name
    assert s["citation_recall"] == pytest.approx(summary(pipeline)["citation_recall"])  # needs no gold
    assert re.search(r"answer_accuracy: – \(no gold answer: give 'reference' \(RAGAS\)", result.stdout)
    report = (alone / "report.md").read_text(encoding="utf-8")
    assert "- answer_accuracy: no gold answer: give 'reference' (RAGAS), 'gold' or 'answers', or a question set" in (
        report
    )


def test_a_file_without_passages_or_markers_leaves_out_what_needs_them(tmp_path):
    records = [
        {
            "user_input": "Which family donated the rare atlas to the city library?",
            "response": "The Quenby family gave it.",
            "reference": "Quenby",
        },
        {"user_input": "Who is the mayor of Kelvingrove?", "response": "I don't know.", "reference": ""},
    ]
    plain = write_jsonl(tmp_path / "plain.jsonl", records)
    out = tmp_path / "plain"
    ok("--answers", plain, "--out", out)
    s = summary(out)
    assert s["answer_accuracy"] == 1.0 and s["rejection_rate"] == 1.0  # "I don't know." is a refusal
    for name in ("citation_recall", "citation_precision", "faithfulness", "context_precision"):
        assert s["left_out"][name].startswith("no passages: give 'retrieved_contexts'"), name
    assert s["left_out"]["latency_ms_p50"] == "no 'latency_ms' in the file"
    assert 0 < s["answer_relevancy"] <= 1

    # passages but no [n] marker anywhere: the citation metrics are left out, faithfulness is not
    for r in records:
        r["retrieved_contexts"] = ["The city library received a rare atlas donated by the Quenby family."]
    uncited = write_jsonl(tmp_path / "uncited.jsonl", records)
    ok("--answers", uncited, "--out", tmp_path / "uncited")
    s = summary(tmp_path / "uncited")
    assert s["left_out"]["citation_recall"].startswith("no answer cites its passages with [n] markers")
    assert s["faithfulness"] == 1.0 and s["context_recall"] == 1.0 and s["context_precision"] == 1.0
    assert "correct_and_cited" not in s


def test_gates_apply_to_an_answers_file(tmp_path):
    f = write_jsonl(
        tmp_path / "a.jsonl",
        [{"question": "Which family donated the atlas?", "answer": "The Harlow family [1].", "gold": ["Quenby"]}],
    )
    failed = run("--answers", f, "--out", tmp_path / "run", "--fail-under", "answer_accuracy=0.5")
    assert failed.exit_code == 1
    assert "gate failed: answer_accuracy=0.000 is below 0.5" in failed.stderr


@pytest.mark.parametrize(
    "line, pattern",
    [
        ("{not json", r"a\.jsonl:2: invalid JSON"),
        (json.dumps({"user_input": "Who?"}), r"a\.jsonl:2: no answer; give 'response' \(RAGAS\) or 'answer'"),
        (json.dumps({"response": "Quenby."}), r"a\.jsonl:2: no question; give 'user_input' \(RAGAS\) or 'question'"),
        (
            json.dumps({"question": "Who?", "answer": "x", "contexts": "one passage"}),
            r"a\.jsonl:2: the passages must be a list",
        ),
        (
            json.dumps({"question": "Who?", "answer": "x", "latency_ms": "fast"}),
            r"a\.jsonl:2: latency_ms must be a number",
        ),
        (
            json.dumps({"question": "Who?", "answer": "x", "reference": {"text": "Quenby"}}),
            r"a\.jsonl:2: the gold answer must be a string or a list of strings",
        ),
        (
            json.dumps({"question": "Which family donated the atlas?", "answer": "y", "gold": "Quenby"}),
            r"a\.jsonl:2: a second answer to question 'q-[0-9a-f]{12}'",
        ),
    ],
)
def test_a_bad_line_is_one_line_naming_it(tmp_path, line, pattern):
    good = json.dumps({"question": "Which family donated the atlas?", "answer": "Quenby.", "gold": "Quenby"})
    f = tmp_path / "a.jsonl"
    f.write_text(good + "\n" + line + "\n", encoding="utf-8")
    out = tmp_path / "run"
    one_line_error(run("--answers", f, "--out", out), pattern)
    assert not (out / "results.jsonl").exists()


def test_misuse_is_refused_in_one_line(tmp_path, pipeline_run, news_jsonl):
    questions, pipeline = pipeline_run
    f = write_jsonl(tmp_path / "a.jsonl", [{"question": "Who painted the ferry?", "answer": "Nobody [1]."}])
    one_line_error(run("--answers", f, "--corpus", news_jsonl), r"--answers scores answers already made")
    one_line_error(run(questions, "--answers", f), r"the question 'Who painted the ferry\?' is not in the question set")
    before = (pipeline / "results.jsonl").read_bytes()
    one_line_error(run("--answers", f, "--out", pipeline), r"holds another run; use another --out")
    assert (pipeline / "results.jsonl").read_bytes() == before  # a pipeline run is never overwritten
    one_line_error(run("--answers", tmp_path / "missing.jsonl"), r"missing\.jsonl: no such answers file")
    one_line_error(run(), r"give a question set \(QUESTIONS\.jsonl\), or --answers FILE")


def test_judge_figures_do_not_depend_on_where_eval_runs(tmp_path, monkeypatch):
    """A wheel has no shared data sets beside it: the headline judge figures are the same without them."""
    f = write_jsonl(tmp_path / "a.jsonl", [{"question": "Which family donated the atlas?", "answer": "Quenby."}])
    ok("--answers", f, "--out", tmp_path / "here")
    monkeypatch.setenv("ASSISTANT_DATASETS_DIR", str(tmp_path / "no-datasets"))
    ok("--answers", f, "--out", tmp_path / "wheel-like")
    here, wheel = summary(tmp_path / "here"), summary(tmp_path / "wheel-like")
    for key in ("judge_accuracy", "judge_precision", "judge_recall", "judge_n", "judge_confusion"):
        assert here[key] == wheel[key], key
    assert "judge_rgb" not in wheel
    report = (tmp_path / "wheel-like" / "report.md").read_text(encoding="utf-8")
    assert "pairs made from" not in report and "hand-labelled pairs shipped with the package" in report
