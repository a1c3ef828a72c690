"""`assistant eval` end to end with the extractive backend: run folder contents, resume, settings guard, --compare,
--fail-under gates, RGB per-question modes, MultiHop corpus mode, and that the user's index is never touched."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from assistant.settings import datasets_dir
from assistant.interfaces.cli import app
from assistant.eval.compare import set_name
from assistant.eval.metrics import squash

from conftest import ROOT, SEEDS, write_jsonl
from test_cli import ANSWER_SCHEMA

SEED_Q = ROOT / "evals" / "seed.jsonl"
DATASETS = datasets_dir()
RGB_DEV = DATASETS / "rgb_en_fact" / "questions.dev.jsonl"
MULTIHOP = DATASETS / "multihop_rag"
needs_rgb = pytest.mark.skipif(not RGB_DEV.is_file(), reason="shared RGB data set not available")
needs_multihop = pytest.mark.skipif(
    not (MULTIHOP / "corpus.jsonl").is_file(), reason="shared MultiHop-RAG data set not available"
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SUMMARY_KEYS = {
    "n",
    "answer_accuracy",
    "citation_recall",
    "citation_precision",
    "faithfulness",
    "hits@4",
    "hits@10",
    "map@10",
    "mrr@10",
    "latency_ms_p50",
    "latency_ms_p95",
    "judge",
    "judge_accuracy",
    "by_type",
    "settings",
}


def run(*args):
    """`assistant eval ARGS` in-process (the session's shared embedder); stdout and stderr kept apart."""
    return CliRunner().invoke(app, ["eval", *map(str, args)])


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def one_line_error(result, pattern: str) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def mean_of(rows: list[dict], key: str, where=lambda r: True) -> float:
    """A metric recomputed by hand from results.jsonl: the mean of its per-question values over its population."""
    values = [float(r["metrics"][key]) for r in rows if r["metrics"].get(key) is not None and where(r)]
    assert values, key
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


PER_QUESTION = {
    "answer_accuracy": "correct",
    "citation_recall": "citation_recall",
    "citation_precision": "citation_precision",
    "faithfulness": "faithfulness",
    "hits@4": "hits@4",
    "hits@10": "hits@10",
    "map@10": "map@10",
    "mrr@10": "mrr@10",
}


def seed_subset(path: Path, ids: list[str]) -> Path:
    """A question file with some of evals/seed.jsonl's questions."""
    rows = {r["id"]: r for r in map(json.loads, SEED_Q.read_text(encoding="utf-8").splitlines())}
    return write_jsonl(path, [rows[i] for i in ids])


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Two answerable (one single, one multi) and two unanswerable seed questions."""
    return seed_subset(tmp_path / "mixed.jsonl", ["seed-001", "seed-023", "seed-031", "seed-032"])


# ------------------------------------------------------------------------------------------- the run folder


def test_eval_writes_summary_results_report_and_chart(tmp_path, data_dir):
    out = tmp_path / "run"
    result = ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 8)
    assert f"8 questions → {out}/report.md" in result.stdout
    assert re.search(r"answer_accuracy: \d\.\d{3}", result.stdout)

    s = summary(out)
    assert SUMMARY_KEYS <= set(s), SUMMARY_KEYS - set(s)
    assert s["n"] == 8 and s["n_answerable"] == 8 and s["n_unanswerable"] == 0
    assert "false_refusal_rate" in s and "rejection_rate" not in s  # the first 8 are all answerable
    rows = results(out)
    for name, key in PER_QUESTION.items():  # each summary figure is its per-question values' mean
        assert s[name] == pytest.approx(mean_of(rows, key)), name
    assert s["false_refusal_rate"] == pytest.approx(mean_of(rows, "refused"))
    assert s["latency_ms_p50"] == pytest.approx(median([r["metrics"]["latency_ms"] for r in rows]))
    confusion = s["judge_confusion"]
    assert sum(confusion.values()) == s["judge_n"]
    assert s["judge_accuracy"] == pytest.approx((confusion["tp"] + confusion["tn"]) / s["judge_n"])
    hand_pairs = len((ROOT / "evals" / "claims.jsonl").read_text(encoding="utf-8").splitlines())
    # the headline judge figures are on the hand-labelled pairs the package ships (the same from a wheel); the
    # RGB-derived ones are measured apart, only where the shared data set is
    assert s["judge"] == "heuristic" and s["judge_n"] == hand_pairs and s["judge_pairs_file"] == "evals/claims.jsonl"
    if RGB_DEV.is_file():
        rgb = s["judge_rgb"]
        assert rgb["file"] == str(RGB_DEV) and rgb["judge_n"] > 0
        assert rgb["judge_accuracy"] == pytest.approx(
            (rgb["judge_confusion"]["tp"] + rgb["judge_confusion"]["tn"]) / rgb["judge_n"]
        )
    else:
        assert "judge_rgb" not in s
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"on the {hand_pairs} hand-labelled pairs shipped with the package" in report
    assert set(s["by_type"]) == {"single"} and s["by_type"]["single"]["n"] == 8
    st = s["settings"]
    assert st["mode"] == "corpus" and st["k"] == 4 and st["limit"] == 8 and st["llm"] == "extractive"
    assert st["model"] == "extractive" and st["questions"] == str(SEED_Q) and st["corpus"] == [str(SEEDS)]
    # the extractive backend quotes the article: it answers and cites; the seed facts are retrieved
    assert s["answer_accuracy"] >= 0.5 and s["hits@10"] >= 0.5

    rows = results(out)
    assert [r["id"] for r in rows] == [f"seed-{i:03d}" for i in range(1, 9)]
    for r in rows:
        assert {"question", "gold", "response", "metrics"} <= set(r)
        jsonschema.validate(r["response"], ANSWER_SCHEMA)  # the `ask --json` object
        assert r["response"]["question"] == r["question"] and r["gold"]["answers"]
        assert isinstance(r["metrics"]["correct"], bool) and r["metrics"]["latency_ms"] > 0
        assert {"hits@4", "hits@10", "map@10", "mrr@10"} <= set(r["metrics"])
    # the summary is the mean of the per-question metrics
    assert s["answer_accuracy"] == pytest.approx(sum(r["metrics"]["correct"] for r in rows) / 8)
    assert s["hits@4"] == pytest.approx(sum(r["metrics"]["hits@4"] for r in rows) / 8)
    assert s["false_refusal_rate"] == pytest.approx(sum(r["metrics"]["refused"] for r in rows) / 8)

    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Eval: evals/seed\n")  # the set's folder and name, not just the file name
    assert "| metric | value | definition | over |" in report and "|---|---|---|---|" in report
    for key in (
        "answer_accuracy",
        "citation_recall",
        "citation_precision",
        "faithfulness",
        "hits@4",
        "mrr@10",
        "judge_accuracy",
    ):
        assert f"| {key} | {s[key]:.3f} |" in report, key
    # lower-is-better metrics say so, from the metric table
    assert f"| latency_ms_p50 (lower is better) | {s['latency_ms_p50']:,.0f} |" in report
    assert "| false_refusal_rate (lower is better) |" in report
    assert "## By question type" in report
    png = (out / "report.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 1000

    # the user's own index is never touched; the corpus index is cached under the (test's) cache dir
    assert not data_dir.exists() or not any(data_dir.rglob("*"))
    assert list((tmp_path / "cache" / "eval-index").glob("*/complete"))


def test_eval_scores_refusals_of_unanswerable_questions(tmp_path, mixed):
    out = tmp_path / "run"
    ok(mixed, "--corpus", SEEDS, "--out", out)
    s = summary(out)
    assert (s["n"], s["n_answerable"], s["n_unanswerable"]) == (4, 2, 2)
    rows = results(out)
    refused = {r["id"]: r["metrics"]["refused"] for r in rows}
    assert s["rejection_rate"] == pytest.approx((refused["seed-031"] + refused["seed-032"]) / 2)
    assert s["false_refusal_rate"] == pytest.approx((refused["seed-001"] + refused["seed-023"]) / 2)
    assert set(s["by_type"]) == {"single", "multi", "unanswerable"}
    assert s["by_type"]["unanswerable"]["n_unanswerable"] == 2 and "answer_accuracy" not in s["by_type"]["unanswerable"]
    for r in rows:  # unanswerable questions get no answer or retrieval score
        if r["gold"]["unanswerable"]:
            assert not {"correct", "hits@4"} & set(r["metrics"])


# ------------------------------------------------------------------------------------------- resume


def test_resume_appends_only_the_missing_questions(tmp_path):
    out = tmp_path / "run"
    ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 3)
    first = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    assert len(first) == 3

    ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 6)
    lines = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) == 6 and lines[:3] == first  # the first three were not run again
    assert [json.loads(x)["id"] for x in lines] == [f"seed-{i:03d}" for i in range(1, 7)]
    assert summary(out)["n"] == 6

    # an interruption cut the last line short: that question runs again, the file stays one JSON object a line
    cut = b"".join(lines[:5]) + lines[5][: len(lines[5]) // 2]
    (out / "results.jsonl").write_bytes(cut)
    ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 6)
    again = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    assert len(again) == 6 and again[:5] == lines[:5]
    assert [json.loads(x)["id"] for x in again] == [f"seed-{i:03d}" for i in range(1, 7)]
    assert summary(out)["n"] == 6

    # a half-written line in the middle (e.g. left by an older version) is skipped and its question re-run
    (out / "results.jsonl").write_bytes(b"".join(again[:2]) + again[2][:40] + b"\n" + b"".join(again[3:]))
    ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 6)
    assert sorted(
        r["id"]
        for r in (
            json.loads(x)
            for x in (out / "results.jsonl").read_bytes().splitlines()
            if x.startswith(b'{"id"') and x.endswith(b"}")
        )
    ) == [f"seed-{i:03d}" for i in range(1, 7)]
    assert summary(out)["n"] == 6


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    out = tmp_path / "run"
    ok(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 2)
    before = (out / "results.jsonl").read_bytes()
    one_line_error(
        run(SEED_Q, "--corpus", SEEDS, "--out", out, "--limit", 2, "--k", 2), r"holds a run with other settings"
    )
    assert (out / "results.jsonl").read_bytes() == before
    assert summary(out)["settings"]["k"] == 4
    ok(SEED_Q, "--corpus", SEEDS, "--out", tmp_path / "k2", "--limit", 2, "--k", 2)  # another folder is fine
    assert summary(tmp_path / "k2")["settings"]["k"] == 2


# ------------------------------------------------------------------------------------------- --compare


def shared_mean(rows: list[dict], key: str, ids: set[str]) -> float:
    return mean_of(rows, key, lambda r: r["id"] in ids and not r["gold"]["unanswerable"])


def test_compare_names_the_run_and_compares_over_the_questions_both_answered(tmp_path, mixed):
    base, new = tmp_path / "base", tmp_path / "new"
    ok(mixed, "--corpus", SEEDS, "--out", base, "--limit", 3)
    result = ok(mixed, "--corpus", SEEDS, "--out", new, "--compare", base, "--k", 2)
    before, after = summary(base), summary(new)
    assert after["n"] == 4 and before["n"] == 3
    shared = {r["id"] for r in results(base)}
    # the sets differ: previous figures and deltas are over the 3 questions both runs answered, and it is said
    block = after["compare"]
    assert block["run"] == str(base) and block["questions"] == "shared" and block["n_shared"] == 3
    assert block["differs"] == {"k": [4, 2]}
    delta = shared_mean(results(new), "correct", shared) - shared_mean(results(base), "correct", shared)
    assert block["deltas"]["answer_accuracy"] == pytest.approx(delta)
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("answer_accuracy:"))
    assert line.endswith(f"({delta:+.3f})"), line
    name = set_name(str(mixed))
    assert f"compared with {base}: {name} (corpus, model `extractive`, 3 questions)" in result.stderr
    assert "warning: the question sets differ (4 here, 3 there, 3 in both)" in result.stderr

    report = (new / "report.md").read_text(encoding="utf-8")
    named = f"Compared with `{base}`: {name} (corpus, model `extractive`, 3 questions). It differs in k (`4` there, "
    assert named in report
    assert "> **Note:** the question sets differ (4 here, 3 there, 3 in both)" in report
    assert "| metric | value | previous | delta | definition | over |" in report
    row = next(x for x in report.splitlines() if x.startswith("| answer_accuracy |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == [
        "answer_accuracy",
        f"{after['answer_accuracy']:.3f}",
        f"{shared_mean(results(base), 'correct', shared):.3f}",
        f"{delta:+.3f}",
    ]
    assert (new / "report.png").read_bytes().startswith(PNG_MAGIC)

    # the same set: the deltas are the summaries' differences, and nothing is said about the questions
    again = ok(mixed, "--corpus", SEEDS, "--out", tmp_path / "again", "--compare", new)
    block = summary(tmp_path / "again")["compare"]
    assert block["questions"] == "same" and block["warnings"] == []
    now = summary(tmp_path / "again")
    assert block["deltas"]["citation_recall"] == pytest.approx(now["citation_recall"] - after["citation_recall"])
    assert "warning" not in again.stderr


def test_compare_lists_the_questions_whose_verdict_flipped(tmp_path, mixed):
    new = tmp_path / "new"
    ok(mixed, "--corpus", SEEDS, "--out", new)
    rows = results(new)
    # an earlier run that got the first answerable question the other way round, and answered the first
    # unanswerable one
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "summary.json").write_text((new / "summary.json").read_text())
    first = next(r for r in rows if "correct" in r["metrics"])
    refused = next(r for r in rows if r["gold"]["unanswerable"])
    changed = []
    for r in rows:
        r = json.loads(json.dumps(r))
        if r["id"] == first["id"]:
            r["metrics"]["correct"] = not r["metrics"]["correct"]
        if r["id"] == refused["id"]:
            r["metrics"]["refused"] = not r["metrics"]["refused"]
        changed.append(r)
    write_jsonl(earlier / "results.jsonl", changed)
    result = ok(mixed, "--corpus", SEEDS, "--out", new, "--compare", earlier)  # resumes: nothing is answered again
    word = {True: "right", False: "wrong"}
    flips = summary(new)["compare"]["flipped"]
    assert [(f["id"], f["what"]) for f in flips] == sorted(
        [(first["id"], "correct"), (refused["id"], "refused")], key=lambda x: [r["id"] for r in rows].index(x[0])
    )
    now = first["metrics"]["correct"]
    flip = next(f for f in flips if f["what"] == "correct")
    assert (flip["before"], flip["after"]) == (word[not now], word[now])
    assert f"flipped {word[not now]} → {word[now]}: 1 ({first['id']})" in result.stderr
    report = (new / "report.md").read_text(encoding="utf-8")
    assert f"## Flipped since `{earlier}` (2)" in report
    assert f"- **{first['id']}** {word[not now]} → {word[now]}: {first['question']}" in report


def test_compare_with_no_question_in_common_is_refused_before_anything_runs(tmp_path, mixed):
    base = tmp_path / "base"
    ok(mixed, "--corpus", SEEDS, "--out", base, "--limit", 1)
    other = write_jsonl(
        tmp_path / "other.jsonl",
        [{"id": "hand-1", "question": "Which crane did the harbour master of Tilbury buy?", "answers": ["a red one"]}],
    )
    out = tmp_path / "other-run"
    one_line_error(
        run(other, "--corpus", SEEDS, "--out", out, "--compare", base),
        rf"--compare: {re.escape(str(base))} \({re.escape(set_name(str(mixed)))} \(corpus, model `extractive`, "
        r"1 questions\)\) answered none of these 1 questions; compare runs of the same question set",
    )
    assert not (out / "results.jsonl").exists()


def test_compare_with_a_bare_summary_compares_whole_runs_and_says_so(tmp_path, mixed):
    new = tmp_path / "new"
    ok(mixed, "--corpus", SEEDS, "--out", new)
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({"n": 9, "answer_accuracy": 0.25}))
    result = ok(mixed, "--corpus", SEEDS, "--out", new, "--compare", planted)
    after = summary(new)
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("answer_accuracy:"))
    assert line.endswith(f"({after['answer_accuracy'] - 0.25:+.3f})")
    assert f"warning: {planted} has no results.jsonl, so its questions cannot be matched" in result.stderr
    assert "(9 questions there, 4 here)" in result.stderr
    one_line_error(
        run(mixed, "--corpus", SEEDS, "--out", new, "--compare", tmp_path / "nowhere"),
        r"--compare: no summary\.json",
    )


# ------------------------------------------------------------------------------------------- --fail-under


def test_fail_under_gates(tmp_path, mixed):
    out = tmp_path / "run"
    ok(mixed, "--corpus", SEEDS, "--out", out)  # the rest resume from this run: no question is asked again

    failed = run(mixed, "--corpus", SEEDS, "--out", out, "--fail-under", "answer_accuracy=1.01")
    assert failed.exit_code == 1
    gate = [x for x in failed.stderr.splitlines() if x.startswith("gate failed")]
    assert len(gate) == 1 and "answer_accuracy" in gate[0] and "1.01" in gate[0]
    assert "answer_accuracy" in failed.stdout  # the scores are still printed

    passed = run(
        mixed,
        "--corpus",
        SEEDS,
        "--out",
        out,
        "--fail-under",
        "answer_accuracy=0.0",
        "--fail-under",
        "judge_accuracy=0",
    )
    assert passed.exit_code == 0 and "gate failed" not in passed.stderr

    both = run(
        mixed, "--corpus", SEEDS, "--out", out, "--fail-under", "answer_accuracy=0", "--fail-under", "faithfulness=1.5"
    )
    assert both.exit_code == 1
    gates = [x for x in both.stderr.splitlines() if x.startswith("gate failed")]
    assert len(gates) == 1 and gates[0].startswith("gate failed: faithfulness=")

    # a gate on a metric this run did not produce fails rather than passing silently
    missing = run(mixed, "--corpus", SEEDS, "--out", out, "--fail-under", "fake_answer_rate=0.1")
    assert missing.exit_code == 1 and "gate failed: fake_answer_rate" in missing.stderr

    one_line_error(
        run(mixed, "--corpus", SEEDS, "--out", out, "--fail-under", "accuracy=0.5"), r"unknown metric 'accuracy'"
    )
    one_line_error(
        run(mixed, "--corpus", SEEDS, "--out", out, "--fail-under", "answer_accuracy"),
        r"--fail-under 'answer_accuracy' is not METRIC=NUMBER",
    )

    # lower-is-better metrics gate from above; the message gives the value rounded, as the report does
    s = summary(out)
    over = run(
        mixed,
        "--corpus",
        SEEDS,
        "--out",
        out,
        "--fail-over",
        "rejection_rate=-0.5",
        "--fail-over",
        "latency_ms_p50=1e9",
    )
    assert over.exit_code == 1
    gates = [x for x in over.stderr.splitlines() if x.startswith("gate failed")]
    assert gates == [f"gate failed: rejection_rate={s['rejection_rate']:.3f} is above -0.5"]
    one_line_error(
        run(mixed, "--corpus", SEEDS, "--out", out, "--fail-over", "speed=1"), r"--fail-over: unknown metric 'speed'"
    )
    assert len(results(out)) == 4


# ------------------------------------------------------------------------------------------- errors


def test_questions_without_passages_need_a_corpus(tmp_path, data_dir):
    one_line_error(run(SEED_Q, "--out", tmp_path / "run"), r"carry no passages; give --corpus")
    one_line_error(
        run(SEED_Q, "--out", tmp_path / "run", "--mode", "rejection"),
        r"--mode rejection needs questions with positive/negative passages",
    )
    one_line_error(run(SEED_Q, "--out", tmp_path / "run", "--mode", "corpus"), r"--mode corpus needs --corpus")
    one_line_error(
        run(SEED_Q, "--corpus", SEEDS, "--out", tmp_path / "run", "--mode", "bogus"),
        r"'--mode': 'bogus' is not one of 'corpus', 'noise', 'rejection', 'counterfactual'",
    )
    one_line_error(
        run(SEED_Q, "--corpus", SEEDS, "--out", tmp_path / "run", "--judge", "llm"), r"--judge llm needs an LLM"
    )
    one_line_error(
        run(tmp_path / "absent.jsonl", "--corpus", SEEDS, "--out", tmp_path / "run"), r"no such question file"
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q?"}\n{oops\n')
    one_line_error(run(bad, "--corpus", SEEDS, "--out", tmp_path / "run"), r"bad\.jsonl:2: invalid JSON")
    assert not (tmp_path / "run" / "results.jsonl").exists()
    assert not data_dir.exists()


# ------------------------------------------------------------------------------------------- RGB per-question modes


def rgb_rows(n: int) -> list[dict]:
    lines = RGB_DEV.read_text(encoding="utf-8").splitlines()[:n]
    return [json.loads(x) for x in lines]


def passages_come_from(rows: list[dict], raw: list[dict], keys: tuple[str, ...]) -> None:
    for r, q in zip(rows, raw):
        allowed = [squash(p) for k in keys for p in q[k]]
        assert r["response"]["passages"]
        for p in r["response"]["passages"]:
            assert any(squash(p["text"]) in a for a in allowed), (q["id"], p["text"])


@needs_rgb
def test_rgb_noise_mode(tmp_path, data_dir):
    out = tmp_path / "noise"
    ok(RGB_DEV, "--mode", "noise", "--out", out, "--limit", 3)
    s = summary(out)
    assert (s["n"], s["n_answerable"], s["n_unanswerable"]) == (3, 3, 0)
    assert "answer_accuracy" in s and "false_refusal_rate" in s and "rejection_rate" not in s
    assert "fake_answer_rate" not in s and s["settings"]["mode"] == "noise"
    rows, raw = results(out), rgb_rows(3)
    assert [r["id"] for r in rows] == [q["id"] for q in raw]
    passages_come_from(rows, raw, ("positive", "negative"))  # each question sees only its own passages
    assert not data_dir.exists()


@needs_rgb
def test_rgb_rejection_mode_scores_every_question_as_unanswerable(tmp_path):
    out = tmp_path / "rejection"
    ok(RGB_DEV, "--mode", "rejection", "--out", out, "--limit", 3)
    s = summary(out)
    assert s["n"] == 3 and s["n_unanswerable"] == 3 and s["n_answerable"] == 0
    assert "answer_accuracy" not in s and "false_refusal_rate" not in s
    rows = results(out)
    assert s["rejection_rate"] == pytest.approx(sum(r["metrics"]["refused"] for r in rows) / 3)
    assert all(r["gold"]["unanswerable"] and r["gold"]["answers"] == [] for r in rows)
    passages_come_from(rows, rgb_rows(3), ("negative",))  # the positives are left out


def test_rejection_mode_counts_answers_a_negative_states_apart(tmp_path):
    """RGB's negatives sometimes state the answer: a correct answer citing one is counted as answered from the
    negatives (the right output), apart from the refusals; rejection_rate stays the share refused."""
    rows = [
        {
            "id": "r1",
            "question": "Where was the 2021 harbor festival held?",
            "answers": ["Port Alba"],
            "positive": ["The 2021 harbor festival was held in Port Alba."],
            "negative": [
                "Organisers confirmed that the 2021 harbor festival was held in Port Alba last June.",
                "The 2019 harbor festival drew record crowds to the old town.",
            ],
        },
        {
            "id": "r2",
            "question": "Who won the 2022 regatta on the bay?",
            "answers": ["Mara Lind"],
            "positive": ["Mara Lind won the 2022 regatta on the bay."],
            "negative": [
                "The 2018 regatta on the bay was cancelled because of storms and high winds.",
                "Tickets for the regatta are sold at the harbor office every weekday.",
            ],
        },
    ]
    questions = write_jsonl(tmp_path / "rej.jsonl", rows)
    out = tmp_path / "run"
    ok(questions, "--mode", "rejection", "--out", out)
    s, got = summary(out), {r["id"]: r for r in results(out)}
    assert got["r1"]["metrics"]["answered_from_negatives"] is True
    assert "Port Alba" in got["r1"]["response"]["answer"]
    assert got["r2"]["metrics"]["answered_from_negatives"] is False
    assert all(r["gold"]["withheld"] == q["answers"] for r, q in zip(results(out), rows))
    assert s["rejection_rate"] == pytest.approx(sum(r["metrics"]["refused"] for r in got.values()) / 2)
    either = [r["metrics"]["refused"] or r["metrics"]["answered_from_negatives"] for r in got.values()]
    assert s["refused_or_answered_from_negatives"] == pytest.approx(sum(either) / 2)


@needs_rgb
def test_rgb_counterfactual_mode(tmp_path):
    out = tmp_path / "counterfactual"
    ok(RGB_DEV, "--mode", "counterfactual", "--out", out, "--limit", 3)
    s, rows = summary(out), results(out)
    assert s["fake_answer_rate"] == pytest.approx(sum(r["metrics"]["fake_answer"] for r in rows) / 3)
    assert s["conflict_flag_rate"] == pytest.approx(sum(r["metrics"]["conflict_flagged"] for r in rows) / 3)
    assert "answer_accuracy" in s
    passages_come_from(rows, rgb_rows(3), ("counterfactual", "negative"))
    # the extractive backend quotes the planted passages, so it repeats a fake answer at least once
    assert s["fake_answer_rate"] > 0


# ------------------------------------------------------------------------------------------- MultiHop corpus mode


@pytest.fixture
def multihop_subset(tmp_path) -> tuple[Path, Path]:
    """The first 4 MultiHop questions and a corpus of their evidence articles (matched by title) plus 20 others."""
    questions = MULTIHOP / "questions.dev.jsonl"
    first = [json.loads(x) for x in questions.read_text(encoding="utf-8").splitlines()[:4]]
    titles = {html.unescape(e["title"]) for q in first for e in q["evidence"]}
    corpus = [json.loads(x) for x in (MULTIHOP / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    evidence = [d for d in corpus if html.unescape(d["title"]) in titles]
    assert {html.unescape(d["title"]) for d in evidence} == titles
    others = [d for d in corpus if d not in evidence][:20]
    return questions, write_jsonl(tmp_path / "mh-corpus" / "corpus.jsonl", evidence + others)


@needs_multihop
def test_multihop_corpus_mode(tmp_path, multihop_subset, data_dir):
    questions, corpus = multihop_subset
    out = tmp_path / "mh"
    ok(questions, "--corpus", corpus, "--out", out, "--limit", 4)
    s = summary(out)
    assert s["n"] == 4 and s["n_unanswerable"] == 1 and s["settings"]["mode"] == "corpus"  # mh-q4 is a null query
    assert set(s["by_type"]) == {"comparison", "temporal", "null"}
    assert s["by_type"]["null"]["n_unanswerable"] == 1 and "rejection_rate" in s["by_type"]["null"]
    rows = results(out)
    answerable = [r for r in rows if not r["gold"]["unanswerable"]]
    for key in ("hits@4", "hits@10", "map@10", "mrr@10", "evidence_recall@4", "evidence_recall@10", "all_evidence@10"):
        assert s[key] == pytest.approx(mean_of(answerable, key)), key
        assert key not in rows[2]["metrics"]  # the null query has no evidence to find
    assert "hits@4" in s["by_type"]["comparison"] and "hits@4" not in s["by_type"]["null"]
    assert s["hits@10"] > 0  # the evidence articles are in the corpus and get retrieved
    assert [r["type"] for r in rows] == ["comparison", "temporal", "null", "temporal"]
    assert all(r["gold"]["evidence"] for r in rows if r["type"] != "null")
    assert not data_dir.exists() or not any(data_dir.rglob("*"))
