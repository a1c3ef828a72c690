"""The command line: typer's CliRunner on the app in-process (shared embedder), plus real subprocess runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from assistant.ingest.chunk import count_tokens
from assistant.interfaces.cli import app

from conftest import ROOT, SEEDS, VENV_BIN, write_jsonl

RANGE_Q = "What is the range of ATACMS?"

CITATION_SCHEMA = {
    "type": "object",
    "required": ["n", "doc_id", "title", "source", "published_at", "url", "text", "as_of"],
    "additionalProperties": False,
    "properties": {
        "n": {"type": "integer", "minimum": 1},
        "doc_id": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "published_at": {"type": "string"},
        "url": {"type": "string"},
        "text": {"type": "string", "minLength": 1},
        "as_of": {"type": "string"},  # the day in words ("18 November 2023"), "" when undated
    },
}
PASSAGE_SCHEMA = {
    "type": "object",
    "required": ["n", "doc_id", "title", "score", "text"],
    "additionalProperties": False,
    "properties": {
        "n": {"type": "integer", "minimum": 1},
        "doc_id": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "score": {"type": "number"},
        "text": {"type": "string", "minLength": 1},
    },
}
SENTENCE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text", "cited", "supported", "reason", "check", "repaired_from", "evidence"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "cited": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "supported": {"type": "boolean"},
        "reason": {"type": "string"},
        "check": {"enum": ["", "citation", "numbers", "quote", "unit", "entity", "similarity", "conflict", "dated"]},
        "repaired_from": {"anyOf": [{"type": "null"}, {"type": "array", "items": {"type": "integer"}}]},
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["n", "text"],
                "additionalProperties": False,
                "properties": {"n": {"type": "integer", "minimum": 1}, "text": {"type": "string", "minLength": 1}},
            },
        },
    },
}

ANSWER_SCHEMA = {
    "type": "object",
    "required": [
        "question",
        "answer",
        "refused",
        "citations",
        "passages",
        "unsupported",
        "model",
        "timings_ms",
        "sentences",
        "dropped",
        "answer_check",
        "usage",
        "as_of",
    ],
    "additionalProperties": False,
    "properties": {
        "question": {"type": "string"},
        "answer": {"type": "string", "minLength": 1},
        "refused": {"type": "boolean"},
        "citations": {"type": "array", "items": CITATION_SCHEMA},
        "passages": {"type": "array", "items": PASSAGE_SCHEMA},
        "unsupported": {"type": "array", "items": {"type": "string"}},
        "as_of": {"anyOf": [{"const": ""}, {"type": "string", "format": "date", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}]},
        "model": {"type": "string", "minLength": 1},
        "timings_ms": {
            "type": "object",
            "required": ["retrieve", "generate", "total"],
            "additionalProperties": {"type": "number", "minimum": 0},
        },
        "sentences": {"type": "array", "items": SENTENCE_SCHEMA},
        "dropped": {"type": "array", "items": {"type": "integer"}},
        "usage": {
            "type": "object",
            "required": ["prompt_tokens", "completion_tokens", "total_tokens", "counted"],
            "additionalProperties": False,
            "properties": {
                "prompt_tokens": {"type": "integer", "minimum": 0},
                "completion_tokens": {"type": "integer", "minimum": 0},
                "total_tokens": {"type": "integer", "minimum": 0},
                "counted": {"type": "string", "minLength": 1},
            },
        },
        "answer_check": {
            "type": "object",
            "required": ["check", "reason", "retried_with", "first_answer"],
            "additionalProperties": False,
            "properties": {
                "check": {"enum": ["", "kind", "year", "subject", "winner"]},
                "reason": {"type": "string"},
                "retried_with": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "first_answer": {"type": "string"},
            },
        },
    },
}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli(runner, data_dir):
    """Run `assistant ARGS --data-dir D` in-process; returns the click Result (stdout/stderr separate)."""

    def run(*args, data=True):
        argv = [str(a) for a in args] + (["--data-dir", str(data_dir)] if data else [])
        return runner.invoke(app, argv)

    return run


@pytest.fixture
def cli_seeded(cli):
    r = cli("ingest", SEEDS)
    assert r.exit_code == 0, r.output
    return cli


def err_lines(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.strip()]


def assert_one_error_line(result, *needles):
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # handled, not crashed
    lines = err_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def sources_json(cli) -> list[dict]:
    r = cli("sources", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def cited_in(text: str) -> set[int]:
    return {int(n) for group in re.findall(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]", text) for n in re.split(r"[,;]\s*", group)}


# ---- ingest / sources / info / remove


def test_ingest_sources_info(cli, data_dir, seed_file):
    r = cli("ingest", SEEDS)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("1 added, 0 updated, 0 unchanged, 0 replaced;") and str(data_dir) in r.stdout
    rows = sources_json(cli)
    assert len(rows) == 1 and rows[0]["chunks"] > 1 and rows[0]["path"] == str(seed_file.resolve())
    info = json.loads(cli("info", "--json").stdout)
    assert info["data_dir"] == str(data_dir)
    assert info["documents"] == 1 and info["chunks"] == rows[0]["chunks"]
    assert info["embedder"] == "local:all-MiniLM-L6-v2" and info["llm"] == "extractive"
    text = cli("sources")
    assert rows[0]["doc_id"] in text.stdout and f"{rows[0]['chunks']:>3} chunks" in text.stdout
    again = cli("ingest", SEEDS, "--json")
    report = json.loads(again.stdout)
    assert report["unchanged"] == [rows[0]["doc_id"]] and report["added"] == [] and report["chunks"] == 0
    assert sources_json(cli) == rows


def test_info_and_sources_on_an_empty_store(cli):
    assert sources_json(cli) == []
    assert cli("sources").stdout.strip() == "No documents indexed."
    info = json.loads(cli("info", "--json").stdout)
    assert info["documents"] == 0 and info["chunks"] == 0


def test_remove(cli_seeded):
    doc_id = sources_json(cli_seeded)[0]["doc_id"]
    n = sources_json(cli_seeded)[0]["chunks"]
    r = cli_seeded("remove", doc_id)
    assert r.exit_code == 0 and r.stdout.strip() == f"removed {doc_id} ({n} chunks)"
    assert sources_json(cli_seeded) == []
    assert_one_error_line(cli_seeded("remove", doc_id), f"'{doc_id}'")


# ---- ask


def test_ask_json_schema(cli_seeded):
    r = cli_seeded("ask", RANGE_Q, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    jsonschema.validate(out, ANSWER_SCHEMA)
    assert set(out) == set(ANSWER_SCHEMA["required"])
    assert out["question"] == RANGE_Q and out["model"] == "extractive" and not out["refused"]
    assert "190 miles" in out["answer"]
    t = out["timings_ms"]  # each stage timed once, back to back: the total is their sum (each rounded to 0.1 ms)
    assert t["total"] == pytest.approx(t["retrieve"] + t["generate"] + t["verify"], abs=0.2)
    assert [p["n"] for p in out["passages"]] == list(range(1, len(out["passages"]) + 1))
    # at least the default k=4; the seed's short last chunk also fits the 720-word-piece context budget
    assert 4 <= len(out["passages"]) <= 8
    assert sum(count_tokens(p["text"]) for p in out["passages"][4:]) <= 720
    # citations are exactly the passages the answer cites, each with that passage's text
    cited = cited_in(out["answer"])
    assert cited and {c["n"] for c in out["citations"]} == cited
    by_n = {p["n"]: p for p in out["passages"]}
    for c in out["citations"]:
        assert c["text"] == by_n[c["n"]]["text"] and c["doc_id"] == by_n[c["n"]]["doc_id"]
    assert any("190 miles" in c["text"] for c in out["citations"])


def test_ask_json_with_metadata_and_filters(cli, tmp_path, news_jsonl):
    assert cli("ingest", news_jsonl).exit_code == 0
    r = cli("ask", "How many steel cables did engineers replace on the harbour bridge?", "--json", "-k", "2")
    out = json.loads(r.stdout)
    jsonschema.validate(out, ANSWER_SCHEMA)
    assert "312" in out["answer"] and len(out["passages"]) == 2
    (c,) = [c for c in out["citations"] if c["doc_id"] == "wire-1"]
    assert (c["source"], c["published_at"], c["title"]) == ("Coastal Times", "2024-03-02", "Harbour bridge reopens")
    r = cli("ask", "harbour news", "--json", "--source", "Valley Herald", "--since", "2024-07-01")
    out = json.loads(r.stdout)
    assert {p["doc_id"] for p in out["passages"]} == {"wire-3"}
    assert_one_error_line(cli("ask", "harbour news", "--until", "31/12/2024"), "--until", "YYYY-MM-DD")


def test_ask_text_lists_sources(cli_seeded):
    r = cli_seeded("ask", RANGE_Q)
    assert r.exit_code == 0
    answer, _, sources = r.stdout.partition("Sources:")
    assert "190 miles" in answer and cited_in(answer)
    for n in cited_in(answer):
        assert f"[{n}] " in sources
    assert "190 miles" in sources  # the quoted evidence


def test_ask_stream(cli_seeded):
    r = cli_seeded("ask", RANGE_Q, "--stream")
    assert r.exit_code == 0, r.output
    assert "190 miles" in r.stdout and "Sources:" in r.stdout
    plain = json.loads(cli_seeded("ask", RANGE_Q, "--json").stdout)
    assert r.stdout.startswith(plain["answer"].split(" [")[0])


def test_ask_unanswerable_refuses(cli_seeded):
    out = json.loads(cli_seeded("ask", "What is the population of Iceland's capital?", "--json").stdout)
    jsonschema.validate(out, ANSWER_SCHEMA)
    assert out["refused"] and out["answer"] == "Insufficient information."
    assert out["citations"] == [] and out["unsupported"] == []


def test_chat_answers_and_quits_on_an_empty_line(cli_seeded, runner, data_dir):
    r = runner.invoke(app, ["chat", "--data-dir", str(data_dir)], input=f"{RANGE_Q}\n\n")
    assert r.exit_code == 0, r.output
    assert "190 miles" in r.stdout and "Sources:" in r.stdout


def test_chat_reports_errors_and_keeps_going(cli, runner, data_dir):
    r = runner.invoke(app, ["chat", "--data-dir", str(data_dir)], input=f"{RANGE_Q}\nanother one?\n")
    assert r.exit_code == 0 and "Traceback" not in r.output
    lines = err_lines(r)
    assert len(lines) == 2 and all(ln.startswith("error: nothing is indexed") for ln in lines)


def test_ask_on_an_empty_store_is_one_line(cli):
    r = cli("ask", RANGE_Q)
    assert_one_error_line(r, "nothing is indexed", "assistant ingest")
    assert r.stdout == ""


def test_bad_settings_are_one_line(cli_seeded):
    assert_one_error_line(cli_seeded("ask", RANGE_Q, "--llm", "bogus"), "llm")


def test_bad_config_file_is_one_line(cli, tmp_path):
    (tmp_path / "config.toml").write_text('k = "unterminated\n')
    assert_one_error_line(cli("sources"), "config.toml")


# ---- bad input via the CLI: one line per bad file, exit 1, index intact


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "empty": ("empty.txt", b""),
    "binary": ("blob.txt", b"GIF89a\x00\x01\x00\x00\xff\x00"),
    "invalid_utf8": ("cafe.md", "# Caf\u00e9\nd\u00e9j\u00e0 vu".encode("latin-1")),
    "malformed_jsonl": ("feed.jsonl", b'{"title": "ok", "body": "fine"}\n{"title": "broken",\n'),
    "unsupported": ("doc.xyz", b"some bytes"),
}


def make_bad(tmp_path: Path, case: str) -> Path:
    name, data = BAD_INPUTS[case][0], BAD_INPUTS[case][1]
    if name is None:
        return tmp_path / "does-not-exist.txt"
    p = tmp_path / "bad" / name
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_error_line_and_keeps_the_index(cli_seeded, tmp_path, case):
    before = sources_json(cli_seeded)
    bad = make_bad(tmp_path, case)
    r = cli_seeded("ingest", bad)
    assert_one_error_line(r, str(bad))
    after = sources_json(cli_seeded)
    if case == "malformed_jsonl":  # the bad line is reported by number; the good line before it is indexed
        assert f"{bad}:2:" in r.stderr
        assert [row["title"] for row in after if row not in before] == ["ok"]
        after = [row for row in after if row in before]
    assert after == before


def test_each_bad_file_gets_its_own_line_and_good_files_still_load(cli_seeded, tmp_path):
    before = sources_json(cli_seeded)
    bads = [make_bad(tmp_path, case) for case in ("missing", "empty", "binary", "invalid_utf8", "malformed_jsonl")]
    good = write_jsonl(tmp_path / "good" / "ok.jsonl", [{"id": "ok-1", "title": "Fine", "body": "A fine record."}])
    r = cli_seeded("ingest", *bads, good.parent)
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = err_lines(r)
    assert len(lines) == len(bads) and all(ln.startswith("error: ") for ln in lines)
    for bad in bads:
        assert sum(str(bad) in ln for ln in lines) == 1
    assert r.stdout.startswith("2 added")  # ok-1, and the good first line of the malformed JSONL
    after = sources_json(cli_seeded)
    assert [row for row in after if row["doc_id"] != "ok-1" and row["title"] != "ok"] == before
    assert {row["doc_id"] for row in after} - {before[0]["doc_id"], "ok-1"} == {
        row["doc_id"] for row in after if row["title"] == "ok"
    }


def test_file_that_became_invalid_keeps_its_sources(cli, tmp_path, seed_text):
    p = tmp_path / "article.txt"
    p.write_text(seed_text, encoding="utf-8")
    assert cli("ingest", p).exit_code == 0
    before = sources_json(cli)
    p.write_bytes(p.read_bytes()[:100] + b"\xc3\x28 invalid")
    assert_one_error_line(cli("ingest", p), str(p), "UTF-8")
    assert sources_json(cli) == before


# ---- real processes


def run_cli(*args, timeout=180):
    return subprocess.run(
        [str(VENV_BIN / "assistant"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=os.environ.copy(),
    )


def test_console_script_end_to_end(tmp_path, data_dir, cli):
    missing = tmp_path / "missing.jsonl"
    r = run_cli("ingest", "seeds/", missing, "--data-dir", data_dir)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"error: {missing}: no such file or directory; check the path"]
    assert r.stdout.startswith("1 added")
    # what that process wrote is there for the next one (asked in-process: one model load per test is enough)
    assert len(sources_json(cli)) == 1
    r = cli("ask", RANGE_Q, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    jsonschema.validate(out, ANSWER_SCHEMA)
    assert "190 miles" in out["answer"] and out["model"] == "extractive"


def test_console_script_empty_store_error(tmp_path):
    r = run_cli("ask", RANGE_Q, "--data-dir", tmp_path / "empty")
    assert r.returncode == 1 and r.stdout == ""
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("error: nothing is indexed")


HELP_PROBE = """
import json, sys
from assistant.interfaces.cli import app
for args in (["--help"], ["ingest", "--help"], ["ask", "--help"], ["sources", "--help"]):
    try:
        app(args)
    except SystemExit as exit:
        assert exit.code == 0, (args, exit.code)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def test_help_loads_no_model_library():
    r = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stderr.strip().splitlines()[-1]))
    assert "typer" in loaded  # the probe saw the imports
    for heavy in ("torch", "llama_cpp", "sentence_transformers", "transformers", "chromadb", "llama_index"):
        assert heavy not in loaded, heavy
    assert all(cmd in r.stdout for cmd in ("ingest", "ask", "sources", "remove", "info"))


def test_module_help_runs():
    r = subprocess.run(
        [sys.executable, "-m", "assistant.interfaces.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0 and "Usage" in r.stdout and "ingest" in r.stdout
