"""Topic folds: ``python -m assistant.eval.make_folds`` keeps one story in one fold, deterministically and without
question text; ``assistant eval --folds`` reports every metric in fold (seen) and out of fold (held out), runs a
subset with ``--only-folds`` and compares both splits with ``--compare``. Hand-written questions over the small news
corpus of conftest.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.eval import make_folds as mf
from assistant.interfaces.cli import app

from conftest import write_jsonl

NEWS_QUESTIONS = [
    {
        "id": "n1",
        "question": "How many steel cables did engineers replace on the Kelvingrove harbour bridge?",
        "answers": ["312"],
        "type": "count",
        "evidence": [{"fact": "Engineers replaced 312 steel cables"}],
    },
    {
        "id": "n2",
        "question": "How long was the Kelvingrove harbour bridge closed for repair?",
        "answers": ["eleven month", "eleven months"],
        "type": "span",
        "evidence": [{"fact": "after an eleven month repair"}],
    },
    {
        "id": "n3",
        "question": "How many tonnes of apples did growers in the Tamsworth valley pick?",
        "answers": ["48,000"],
        "type": "count",
        "evidence": [{"fact": "picked 48,000 tonnes this season"}],
    },
    {
        "id": "n4",
        "question": "What did cooperative managers credit for the record harvest in the Tamsworth valley?",
        "answers": ["mild spring"],
        "type": "span",
        "evidence": [{"fact": "credited a mild spring and new irrigation"}],
    },
    {
        "id": "n5",
        "question": "How often will the harbour ferry run from October?",
        "answers": ["every twenty minutes", "twenty minutes"],
        "type": "span",
        "evidence": [{"fact": "The harbour ferry will run every twenty minutes from October"}],
    },
    {
        "id": "n6",
        "question": "Which family donated the rare atlas to the city library?",
        "answers": ["Quenby"],
        "type": "span",
        "evidence": [{"fact": "donated by the Quenby family"}],
    },
    {
        "id": "n7",
        "question": "From which century is the atlas the Quenby family gave away?",
        "answers": ["seventeenth"],
        "type": "span",
        "evidence": [{"fact": "a rare seventeenth century atlas"}],
    },
    {
        "id": "n8",
        "question": "Which mayor cut the ribbon when the Kelvingrove harbour bridge reopened?",
        "answers": [],
        "type": "unanswerable",
    },
]
FOLDS = {"n1": 0, "n2": 0, "n8": 0, "n3": 1, "n4": 1, "n5": 2, "n6": 2, "n7": 2}


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


def rows_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def mean(rows: list[dict], key: str, where=lambda r: True) -> float | None:
    values = [float(r["metrics"][key]) for r in rows if r["metrics"].get(key) is not None and where(r)]
    return sum(values) / len(values) if values else None


@pytest.fixture
def news_set(tmp_path, news_jsonl) -> tuple[Path, Path, Path]:
    questions = write_jsonl(tmp_path / "news-questions.jsonl", NEWS_QUESTIONS)
    folds = tmp_path / "news-folds.json"
    folds.write_text(json.dumps({"k": 3, "seen": [0], "folds": FOLDS}))
    return questions, news_jsonl, folds


# ------------------------------------------------------------------------------------------- assistant eval --folds


def test_eval_reports_every_metric_in_fold_and_out_of_fold(tmp_path, news_set):
    questions, corpus, folds = news_set
    out = tmp_path / "run"
    result = ok(questions, "--corpus", corpus, "--out", out, "--folds", folds)
    summary = json.loads((out / "summary.json").read_text())
    rows = rows_of(out)
    split = summary["folds"]
    assert split["seen_folds"] == [0] and split["held_out_folds"] == [1, 2]
    assert split["seen"]["n"] == 3 and split["held_out"]["n"] == 5
    assert split["seen"]["n_unanswerable"] == 1 and split["held_out"]["n_unanswerable"] == 0
    seen = lambda r: FOLDS[r["id"]] == 0  # noqa: E731
    held = lambda r: FOLDS[r["id"]] != 0  # noqa: E731
    answerable = lambda r: not r["gold"]["unanswerable"]  # noqa: E731
    for key, metric in (("correct", "answer_accuracy"), ("hits@4", "hits@4"), ("citation_recall", "citation_recall")):
        for name, where in (("seen", seen), ("held_out", held)):
            everyone = key == "citation_recall"  # computed over answered questions, not only the answerable
            want = mean(rows, key, lambda r, w=where, e=everyone: w(r) and (answerable(r) or e))
            assert split[name].get(metric) == pytest.approx(want), (metric, name)
    assert split["held_out"].get("rejection_rate") is None  # no unanswerable question held out: not reported as 0
    assert split["by_fold"]["1"]["n"] == 2 and split["by_fold"]["2"]["n"] == 3

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## In fold (seen) and out of fold (held out)" in report
    section = report.split("## In fold (seen) and out of fold (held out)")[1]
    assert "| metric | seen (folds 0, n=3) | held out (folds 1,2, n=5) | fold 0 (n=3) |" in section
    row = next(x for x in section.splitlines() if x.startswith("| answer_accuracy |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    seen_acc, held_acc = split["seen"]["answer_accuracy"], split["held_out"]["answer_accuracy"]
    assert cells[1:3] == [f"{seen_acc:.3f}", f"{held_acc:.3f}"]
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("answer_accuracy:") and "|" in x)
    assert re.search(rf"{seen_acc:.3f}\s+\|\s+{held_acc:.3f}", line), line


def test_only_folds_runs_those_questions_and_compare_gives_both_deltas(tmp_path, news_set):
    questions, corpus, folds = news_set
    base, new = tmp_path / "base", tmp_path / "new"
    ok(questions, "--corpus", corpus, "--out", base, "--folds", folds, "--only-folds", "0,2")
    assert sorted(r["id"] for r in rows_of(base)) == ["n1", "n2", "n5", "n6", "n7", "n8"]

    # the earlier run had no folds at all: it is split by the same fold file, from its results.jsonl
    plain = tmp_path / "plain"
    ok(questions, "--corpus", corpus, "--out", plain, "--k", 1)
    result = ok(questions, "--corpus", corpus, "--out", new, "--folds", folds, "--seen", "1", "--compare", plain)
    now = json.loads((new / "summary.json").read_text())
    before_rows = rows_of(plain)
    assert now["folds"]["seen_folds"] == [1]
    prev = now["folds_previous"]
    assert prev["seen"]["answer_accuracy"] == pytest.approx(mean(before_rows, "correct", lambda r: FOLDS[r["id"]] == 1))
    for name in ("seen", "held_out"):
        assert prev[name]["n"] == now["folds"][name]["n"]
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("hits@4:") and "|" in x)
    d_seen = now["folds"]["seen"]["hits@4"] - prev["seen"]["hits@4"]
    d_held = now["folds"]["held_out"]["hits@4"] - prev["held_out"]["hits@4"]
    assert f"({d_seen:+.3f})" in line and f"({d_held:+.3f})" in line, line
    report = (new / "report.md").read_text(encoding="utf-8")
    assert "Δ seen | Δ held out |" in report

    # a run of some folds compares with the same questions of the earlier run, not all of them
    ok(
        questions,
        "--corpus",
        corpus,
        "--out",
        tmp_path / "some",
        "--folds",
        folds,
        "--only-folds",
        "2",
        "--compare",
        plain,
    )
    some = json.loads((tmp_path / "some" / "summary.json").read_text())
    assert some["folds"]["held_out"]["n"] == some["folds_previous"]["held_out"]["n"] == 3
    assert some["folds_previous"]["seen"]["n"] == 0


def test_fold_options_bad_input_is_one_line(tmp_path, news_set):
    questions, corpus, folds = news_set
    out = tmp_path / "run"
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--seen", "0"), r"need --folds")
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", tmp_path / "no.json"), r"no such")
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", folds, "--seen", "7"), r"fold 7")
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", folds, "--seen", "a"), r"fold numbers")
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", folds, "--seen", "0-2"), r"held out")
    one_line_error(
        run(questions, "--corpus", corpus, "--out", out, "--folds", folds, "--only-folds", "5"), r"--only-folds"
    )
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"k": 2, "seen": [0], "folds": {"x-1": 0, "x-2": 1}}))
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", other), r"another set")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    one_line_error(run(questions, "--corpus", corpus, "--out", out, "--folds", broken), r"not a fold file")


# ------------------------------------------------------------------------------------------- make_folds

STORIES = [
    # the bridge: two questions cite one article, a third names the bridge only
    {"id": "s1", "question": "When did the Kelvingrove bridge reopen?", "type": "when",
     "evidence": [{"title": "Harbour bridge reopens", "source": "Coastal Times", "fact": "reopened on Saturday"}]},
    {"id": "s2", "question": "How many cables were replaced?", "type": "count",
     "evidence": [{"title": "Harbour bridge reopens", "source": "Coastal Times", "fact": "replaced 312 cables"}]},
    {"id": "s3", "question": "Who paid for the Kelvingrove bridge repair?", "type": "who", "evidence": []},
    # the harvest: a name written in lower case in one of them
    {"id": "s4", "question": "How big was the Tamsworth Valley harvest?", "type": "count", "evidence": []},
    {"id": "s5", "question": "did rain in tamsworth valley hurt the crop?", "type": "yes/no", "evidence": []},
    # the atlas: joined only through the hand-written links file
    {"id": "s6", "question": "Which family gave the atlas away?", "type": "who", "evidence": []},
    {"id": "s7", "question": "Where will the old map book be shown?", "type": "where", "evidence": []},
    # a source named in a question is not a topic: these two share only "the Valley Herald"
    {"id": "s8", "question": "Did the Valley Herald report the ferry's new timetable?", "type": "yes/no",
     "evidence": [{"title": "Ferry timetable", "source": "Valley Herald", "fact": "every twenty minutes"}]},
    {"id": "s9", "question": "Did the Valley Herald say who donated the Quenby collection?", "type": "yes/no",
     "evidence": [{"title": "Quenby bequest", "source": "Valley Herald", "fact": "the Quenby bequest"}]},
]  # fmt: skip


def made(tmp_path, k=3, seen=1, links=None, slack="1.4") -> dict:
    questions = write_jsonl(tmp_path / "stories.jsonl", STORIES)
    out = tmp_path / "folds.json"
    argv = [str(questions), str(out), "--k", str(k), "--seen", str(seen), "--slack", slack]
    if links is not None:
        (tmp_path / "links.json").write_text(json.dumps(links))
        argv += ["--links", str(tmp_path / "links.json")]
    assert mf.main(argv) == 0
    return json.loads(out.read_text())


def test_one_story_stays_in_one_fold(tmp_path):
    result = made(tmp_path, links={"the atlas, called a map book in one question": ["s6", "s7"]})
    fold = result["folds"]
    assert fold["s1"] == fold["s2"] == fold["s3"]  # one article, then one name
    assert fold["s4"] == fold["s5"]  # "tamsworth valley" found in lower case
    assert fold["s6"] == fold["s7"]  # the hand-written link
    assert sorted(result["sizes"]) == [3, 3, 3] and sum(result["sizes"]) == len(STORIES)
    assert result["across_folds"]["fact"]["question_pairs_across_folds"] == 0
    assert result["across_folds"]["article"]["question_pairs_across_folds"] == 0
    assert result["seen"] == [0]
    text = json.dumps(result)
    assert not any(q["question"] in text for q in STORIES)  # ids and folds, no question text


def test_folds_are_deterministic_and_the_cap_splits_an_over_connected_topic(tmp_path):
    first = made(tmp_path / "a")
    again = made(tmp_path / "b")
    assert first["folds"] == again["folds"] and first["sizes"] == again["sizes"]
    # with 9 questions in 3 folds and no slack a group holds at most 3: the bridge story (3) fits, and the links
    # file's one topic of 6 questions is cut, the cut counted as a leak
    capped = made(tmp_path / "c", links={"everything by the harbour": ["s1", "s2", "s3", "s5", "s8", "s9"]}, slack="1")
    assert capped["cap"] == 3 and max(capped["sizes"]) <= 4
    assert capped["joins_refused_by_cap"]["link"] == 1
    assert capped["across_folds"]["link"]["keys_across_folds"] == 1


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("when did The Tale of Harbor Lights: Song of the Tide open?", {"tale of harbor lights", "song of the tide"}),
        ("When was Larkspur 6 unveiled?", {"larkspur"}),
        ("Who chaired Northfield in 2021?", {"northfield"}),
        ("Who took the women's doubles N.E. Cup in 2020?", {"n.e. cup"}),
        ("Did 'The Verge' report on Black Friday deals?", {"black friday"}),
        ("What happened in October 2023?", set()),
    ],
)
def test_names_are_capitalised_runs_without_numbers_titles_sources_or_dates(text, names):
    assert mf.names(text, {"verge"}) == names


def test_make_folds_bad_input(tmp_path, capsys):
    assert mf.main([str(tmp_path / "none.jsonl"), str(tmp_path / "out.json")]) == 2
    assert "no such question file" in capsys.readouterr().err
    write_jsonl(tmp_path / "q.jsonl", STORIES)
    assert mf.main([str(tmp_path / "q.jsonl"), str(tmp_path / "out.json"), "--k", "3", "--seen", "3"]) == 2
    assert "--seen" in capsys.readouterr().err
    (tmp_path / "links.json").write_text(json.dumps({"x": ["s1", "nope"]}))
    with pytest.raises(SystemExit, match="unknown question id nope"):
        mf.main([str(tmp_path / "q.jsonl"), str(tmp_path / "out.json"), "--links", str(tmp_path / "links.json")])


# ------------------------------------------------------------------------------------------- follow-up sets

FOLLOWUPS = [
    {"id": "r1", "kind": "pronoun", "previous": "Who donated the atlas to the city library?",
     "previous_answer": "The Quenby family [1].", "followup": "when will it be shown?",
     "standalone": "When will the atlas be shown?", "must_contain": ["atlas"]},
    {"id": "r2", "kind": "ellipsis", "previous": "How many cables were replaced on the harbour bridge?",
     "previous_answer": "312 steel cables [1].", "followup": "and how long did the repair take?",
     "standalone": "How long did the repair of the harbour bridge take?", "must_contain": ["harbour bridge"]},
    {"id": "r3", "kind": "standalone", "previous": "How often will the harbour ferry run?",
     "previous_answer": "Every twenty minutes [1].", "followup": "When do night crossings of the ferry end?",
     "standalone": "When do night crossings of the ferry end?"},
    {"id": "r4", "kind": "standalone", "previous": "Which valley had a record apple harvest?",
     "previous_answer": "The Tamsworth valley [1].", "followup": "Did its growers credit the mild spring?",
     "standalone": "Did its growers credit the mild spring?"},
]  # fmt: skip


class Rewriter:
    """An assistant whose rewrites are given: the scoring is what is tested."""

    settings = type("S", (), {"llm": "stub"})()

    def __init__(self, answers: dict[str, str]):
        self.answers = answers
        self.calls: list[tuple[str, list]] = []

    def standalone(self, question: str, history):
        self.calls.append((question, history))
        return self.answers[question]


def test_followup_set_scores_rewrites_and_what_stands_alone(tmp_path):
    from assistant.eval import EvalConfig, run_eval

    path = write_jsonl(tmp_path / "fu.jsonl", FOLLOWUPS)
    rewriter = Rewriter(
        {
            "when will it be shown?": "When will the atlas be shown?",  # exact
            "and how long did the repair take?": "How long did the repair of the harbour bridge take?",  # exact
            "When do night crossings of the ferry end?": "When do night crossings of the ferry end?",  # kept
            "Did its growers credit the mild spring?": "Did Tamsworth valley's growers credit the mild spring?",
        }
    )
    folds = tmp_path / "folds.json"
    folds.write_text(json.dumps({"k": 2, "seen": [0], "folds": {"r1": 0, "r3": 0, "r2": 1, "r4": 1}}))
    result = run_eval(rewriter, EvalConfig(questions=path, out=tmp_path / "run", folds=folds))
    s = result.summary
    assert rewriter.calls[0] == ("when will it be shown?", [(FOLLOWUPS[0]["previous"], "The Quenby family [1].")])
    assert s["n"] == 4
    assert s["rewrite_exact"] == 0.75 and s["rewrite_resolved"] == 1.0 and s["standalone_kept"] == 0.5
    assert s["by_type"]["standalone"]["standalone_kept"] == 0.5
    assert s["folds"]["seen"]["standalone_kept"] == 1.0 and s["folds"]["held_out"]["standalone_kept"] == 0.0
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "- **r4** (standalone)" in report and "got: Did Tamsworth valley's growers" in report
    assert "## In fold (seen) and out of fold (held out)" in report

    # a rewrite that keeps the follow-up as typed, or loses the referent, is not resolved
    again = Rewriter({f["followup"]: f["followup"] for f in FOLLOWUPS} | {"when will it be shown?": "When is it?"})
    s = run_eval(again, EvalConfig(questions=path, out=tmp_path / "run2")).summary
    assert s["rewrite_resolved"] == 0.0 and s["standalone_kept"] == 1.0 and s["rewrite_exact"] == 0.5


def test_followup_set_through_the_cli_with_the_real_rewriter(tmp_path):
    path = write_jsonl(tmp_path / "fu.jsonl", FOLLOWUPS[2:3])
    out = tmp_path / "run"
    result = ok(path, "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 1 and summary["standalone_kept"] == 1.0  # no pronoun, no ellipsis: left as it is
    assert "standalone_kept: 1.000" in result.stdout
    broken = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "followup": "and then?", "standalone": ""}])
    one_line_error(run(broken, "--out", tmp_path / "bad"), r"needs non-empty 'previous', 'followup' and 'standalone'")


def test_the_seen_folds_are_numbered_first_and_look_like_the_whole_set():
    qs = [mf.Question(f"q{i}", "", t) for i, t in enumerate("xxxx" + "xxyy" + "yyyy")]
    dealt = {q.id: i // 4 for i, q in enumerate(qs)}  # fold 0: all x, fold 1: half and half, fold 2: all y
    fold = mf.seen_first(qs, dealt, 3, 1)
    assert {fold[f"q{i}"] for i in range(4, 8)} == {0}  # the mixed fold is the one to look at
    assert {fold[f"q{i}"] for i in range(4)} == {1} and {fold[f"q{i}"] for i in range(8, 12)} == {2}
