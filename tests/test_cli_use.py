"""The command line as a user of simonw/llm would use it: conventions, stdin, search, models, logs, -c, remove,
filters that say what they matched, formats in the ingest report. Typer's CliRunner, in-process (shared embedder)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from assistant import __version__
from assistant.interfaces.cli import app

from conftest import NEWS_RECORDS, SEEDS, write_jsonl

KURSK_Q = "How many North Korean troops joined Russian forces in Kursk?"
COMMANDS = ["ingest", "ask", "chat", "search", "logs", "models", "sources", "remove", "info", "eval"]


@pytest.fixture
def cli(data_dir):
    runner = CliRunner()

    def run(*args, input=None, data=True):
        argv = [str(a) for a in args] + (["--data-dir", str(data_dir)] if data else [])
        return runner.invoke(app, argv, input=input)

    return run


@pytest.fixture
def cli_seeded(cli):
    assert cli("ingest", SEEDS).exit_code == 0
    return cli


@pytest.fixture
def cli_news(cli, news_jsonl):
    assert cli("ingest", SEEDS, news_jsonl).exit_code == 0
    return cli


def one_error(result, *needles):
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---- conventions


def test_version_and_short_help(cli):
    r = cli("--version", data=False)
    assert r.exit_code == 0 and r.stdout.strip() == f"assistant {__version__}"
    short, long = cli("-h", data=False), cli("--help", data=False)
    assert short.exit_code == 0 and short.stdout == long.stdout and "Usage:" in short.stdout
    assert cli("ask", "-h", data=False).stdout == cli("ask", "--help", data=False).stdout


def test_shell_completion_is_offered(cli):
    out = cli("--help", data=False).stdout
    assert "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_examples(cli, command):
    r = cli(command, "--help", data=False)
    assert r.exit_code == 0
    examples = r.stdout.split("Examples:")[1].strip().splitlines()
    assert examples and all(line.strip().startswith(("assistant", "cat ", ">")) for line in examples)


@pytest.mark.parametrize(
    "command, option, choices",
    [
        ("ask", "--llm", "local|openai|extractive"),
        ("chat", "--llm", "local|openai|extractive"),
        ("eval", "--mode", "corpus|noise|rejection|counterfactual"),
        ("eval", "--judge", "heuristic|llm"),
    ],
)
def test_choices_are_listed_and_checked(cli, command, option, choices):
    assert f"{option} <{choices}>" in " ".join(cli(command, "--help", data=False).stdout.split())
    args = [command] + (["evals/seed.jsonl"] if command == "eval" else []) + [option, "bogus"]
    line = one_error(cli(*args), option, "bogus")
    assert line.endswith(f"see `assistant {command} --help`")


def test_a_usage_error_is_one_line(cli):
    one_error(cli("remove", "--bogus"), "--bogus")
    one_error(cli("frobnicate"), "frobnicate")


def test_unknown_config_keys_are_warned_about(cli_seeded, tmp_path):
    (tmp_path / "config.toml").write_text('lmm = "extractive"\ncolour = "blue"\nk = 3\n')
    r = cli_seeded("sources")
    assert r.exit_code == 0
    assert r.stderr.splitlines() == [
        f"warning: {tmp_path / 'config.toml'}: 'lmm' is not a setting and is ignored; did you mean 'llm'?",
        f"warning: {tmp_path / 'config.toml'}: 'colour' is not a setting and is ignored; the README's Settings "
        "table lists them",
    ]


def test_sources_json_help_matches_its_output(cli_seeded):
    help_text = " ".join(cli_seeded("sources", "--help", data=False).stdout.split())
    listed = re.search(r"\[\{(.+?)\}\]", help_text).group(1)
    rows = json.loads(cli_seeded("sources", "--json").stdout)
    assert [k.strip() for k in listed.split(",")] == list(rows[0])


# ---- stdin


def test_ask_dash_reads_the_question_from_stdin(cli_seeded):
    r = cli_seeded("ask", "-", "--json", input="What is the range\nof the ATACMS?\n")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["question"] == "What is the range of the ATACMS?" and "190 miles" in out["answer"]
    piped = cli_seeded("ask", "--json", input="What is the range of the ATACMS?")  # no argument, a pipe
    assert json.loads(piped.stdout)["answer"] == out["answer"]
    one_error(cli_seeded("ask", "-", input="  \n"), "empty")


def test_ingest_dash_reads_jsonl_records_from_stdin(cli):
    lines = "".join(json.dumps(r) + "\n" for r in NEWS_RECORDS)
    r = cli("ingest", "-", "--json", input=lines)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["added"] == [r["id"] for r in NEWS_RECORDS]
    rows = json.loads(cli("sources", "--json").stdout)
    assert {row["doc_id"]: row["path"] for row in rows} == {r["id"]: "<stdin>" for r in NEWS_RECORDS}
    assert json.loads(cli("ingest", "-", "--json", input=lines).stdout)["unchanged"] == [r["id"] for r in NEWS_RECORDS]
    one_error(cli("ingest", "-", input='{"title": "a", "body": "b"}\n{broken\n'), "<stdin>:2: invalid JSON")


# ---- search, models


def test_search_prints_passages_without_an_llm(cli_seeded):
    r = cli_seeded("search", "ATACMS range", "-k", "2")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("[1] ") and "[2] " in r.stdout and "[3] " not in r.stdout
    assert "190 miles" in r.stdout and "score" in r.stdout
    rows = json.loads(cli_seeded("search", "ATACMS range", "-k", "3", "--json").stdout)
    assert [p["n"] for p in rows] == [1, 2, 3]
    assert set(rows[0]) == {"n", "doc_id", "title", "score", "text", "source", "published_at", "url"}
    assert any("190 miles" in p["text"] for p in rows)


def test_search_never_builds_a_generator(seeded, monkeypatch, data_dir):
    import assistant.answer.generate as generate

    monkeypatch.setattr(generate, "make_generator", lambda *a: pytest.fail("search built a generator"))
    r = CliRunner().invoke(app, ["search", "Kursk", "--data-dir", str(data_dir)])
    assert r.exit_code == 0 and "Kursk" in r.stdout


def test_models_lists_backends_and_the_default(cli):
    rows = json.loads(cli("models", "--json", data=False).stdout)
    assert {(r["llm"], r["model"]) for r in rows} >= {
        ("local", "qwen2.5-coder-1.5b"),
        ("local", "qwen2.5-coder-0.5b"),
        ("openai", "(any served model id)"),
        ("extractive", "extractive"),
    }
    assert [r["llm"] for r in rows if r["default"]] == ["extractive"]  # the tests set ASSISTANT_LLM=extractive
    local = [r for r in rows if r["llm"] == "local" and r["model"] == "qwen2.5-coder-1.5b"]
    assert local[0]["detail"].startswith("22/22 parts installed" if local[0]["installed"] else "")
    text = cli("models", "--llm", "local", data=False).stdout
    assert re.search(r"^\* local:qwen2\.5-coder-1\.5b ", text, re.M)
    assert "embeddings: local:all-MiniLM-L6-v2" in text


# ---- logs and -c


def test_answers_are_logged_and_listed(cli_seeded):
    assert cli_seeded("ask", "What is the range of the ATACMS?").exit_code == 0
    assert cli_seeded("ask", KURSK_Q, "--no-log").exit_code == 0
    assert cli_seeded("ask", KURSK_Q).exit_code == 0
    rows = json.loads(cli_seeded("logs", "--json", "-n", "0").stdout)
    assert [r["question"] for r in rows] == ["What is the range of the ATACMS?", KURSK_Q]  # --no-log kept out
    assert "190 miles" in rows[0]["answer"] and rows[0]["citations"][0]["text"]
    assert rows[0]["model"] == "extractive" and rows[1]["id"] > rows[0]["id"]
    last = json.loads(cli_seeded("logs", "--json", "-n", "1").stdout)
    assert [r["question"] for r in last] == [KURSK_Q]
    text = cli_seeded("logs").stdout
    assert f"Q: {KURSK_Q}" in text and "A: Over 10,000" in text and re.search(r"^   \[1\] ", text, re.M)


FERRY_Q = "How often will the harbour ferry run?"
FERRY_FOLLOWUP = "When do its night crossings end?"
FERRY_STANDALONE = "When do the harbour ferry’s night crossings end?"


def test_continue_follows_up_on_the_last_logged_answer(cli_news):
    one_error(cli_news("ask", "-c", FERRY_FOLLOWUP), "nothing in the log")
    assert "twenty minutes" in cli_news("ask", FERRY_Q).stdout
    r = cli_news("ask", "-c", FERRY_FOLLOWUP, "--json")
    assert r.exit_code == 0, r.output
    assert r.stderr.strip() == f"(asking: {FERRY_STANDALONE})"
    out = json.loads(r.stdout)
    assert out["question"] == FERRY_STANDALONE and "midnight" in out["answer"]
    rows = json.loads(cli_news("logs", "--json", "-n", "1").stdout)
    assert (rows[0]["asked"], rows[0]["question"]) == (FERRY_FOLLOWUP, FERRY_STANDALONE)
    assert "(asked as: When do the harbour ferry’s night crossings end?)" in cli_news("logs", "-n", "1").stdout


def test_chat_rewrites_a_followup(cli_news):
    r = cli_news("chat", input=f"{FERRY_Q}\n{FERRY_FOLLOWUP}\n\n")
    assert r.exit_code == 0, r.output
    first, second = r.stdout.split("> ")[1:3]
    assert "twenty minutes" in first and "midnight" in second and "Sources:" in second
    assert r.stderr.strip() == f"(asking: {FERRY_STANDALONE})"
    assert [row["question"] for row in json.loads(cli_news("logs", "--json").stdout)] == [FERRY_Q, FERRY_STANDALONE]


# ---- remove


def test_remove_all_and_by_path(cli, news_jsonl):
    assert cli("ingest", SEEDS, news_jsonl).exit_code == 0
    r = cli("remove", "--path", news_jsonl.parent)
    assert r.exit_code == 0 and r.stdout.startswith("removed 4 documents (")
    assert [row["path"] for row in json.loads(cli("sources", "--json").stdout)] == [
        str(next(SEEDS.glob("*.txt")).resolve())
    ]
    one_error(cli("remove", "--path", news_jsonl), "no document was ingested from")
    assert cli("remove", "--all").stdout.startswith("removed 1 documents (")
    assert json.loads(cli("sources", "--json").stdout) == []
    one_error(cli("remove"), "give one of")
    one_error(cli("remove", "abc", "--all"), "give one of")


# ---- filters


def test_filters_that_match_nothing_say_so(cli_seeded):
    line = one_error(cli_seeded("ask", KURSK_Q, "--since", "2024-01-01"))
    assert re.match(
        r"error: the filters \(since 2024-01-01\) matched 0 of \d+ chunks; 1 of 1 documents have no "
        r"date; `assistant sources`",
        line,
    ), line
    line = one_error(cli_seeded("search", "Kursk", "--source", "Reuters"))
    assert "no document has the source 'Reuters'" in line and "1 of 1 documents have no source" in line


def test_source_filter_ignores_case_and_names_known_sources(cli_news):
    out = json.loads(cli_news("ask", "harbour news", "--json", "--source", "valley HERALD").stdout)
    assert {p["doc_id"] for p in out["passages"]} == {"wire-2", "wire-3"}
    line = one_error(cli_news("ask", "harbour news", "--source", "Reuters"))
    assert "(sources: Coastal Times, Valley Herald)" in line and "1 of 5 documents have no source" in line


# ---- ingest report


def test_unsupported_files_in_a_directory_are_listed(cli, tmp_path):
    d = tmp_path / "mixed"
    write_jsonl(d / "news.jsonl", NEWS_RECORDS[:1])
    (d / "photo.png").write_bytes(b"\x89PNG")
    (d / "sheet.xlsx").write_bytes(b"PK")
    r = cli("ingest", d)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1] == f"skipped 2 file(s) of unsupported types: {d / 'photo.png'}, {d / 'sheet.xlsx'}"
    assert json.loads(cli("ingest", d, "--json").stdout)["unsupported"] == [str(d / "photo.png"), str(d / "sheet.xlsx")]
