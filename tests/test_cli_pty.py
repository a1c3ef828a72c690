"""The command line in a real terminal (a pty, via pexpect): the ingest bar with its total from the start, status
lines while answering, a streamed answer, a chat whose follow-up is rewritten, readline history kept in a file, and
the other waits named while they last."""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT, SEEDS

pexpect = pytest.importorskip("pexpect")

KURSK_Q = "How many North Korean troops joined Russian forces in Kursk?"
UP = "\x1b[A"


def spawn(*args, timeout=180):
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "ASSISTANT_LLM": "extractive",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "120",
        "LINES": "40",
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "assistant.interfaces.cli", *map(str, args)],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=timeout,
        dimensions=(40, 120),
    )


def test_ingest_bar_and_ask_status_in_a_terminal(news_jsonl):
    p = spawn("ingest", SEEDS, news_jsonl)
    p.expect(r"embedding[^\r\n]*?0/5(?:\x1b\[0m)? docs")  # the real total, before the first batch is embedded
    p.expect(r"5 added, 0 updated, 0 unchanged, 0 replaced; \d+ chunks embedded from 2 files")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0

    p = spawn("ask", KURSK_Q)
    p.expect("retrieving…")
    p.expect("generating…")
    p.expect(r"Over 10,000 North Korean troops[^\r\n]*\[\d\]")  # streamed by default on a terminal
    p.expect("Sources:")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0 and "Checked answer" not in p.before  # the extractive text is its own checked answer


def test_chat_follow_up_and_readline_history(make_assistant, news_jsonl, data_dir):
    make_assistant().ingest([news_jsonl])
    p = spawn("chat")
    p.expect("> ")
    p.sendline("How often will the harbour ferry run?")
    p.expect("twenty minutes")
    p.expect("Sources:")
    p.expect("\n> ")
    p.sendline("When do its night crossings end?")
    p.expect(r"\(asking: When do the harbour ferry’s night crossings end\?\)")
    p.expect("midnight")
    p.expect("\n> ")
    p.send(UP + UP + "\r")  # readline: the first question again, recalled with the arrow keys
    p.expect("twenty minutes")
    p.expect("\n> ")
    p.sendline("")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
    history = (data_dir / "chat_history").read_text().splitlines()
    assert history[-3:] == [
        "How often will the harbour ferry run?",
        "When do its night crossings end?",
        "How often will the harbour ferry run?",
    ]


def test_commands_that_wait_say_what_for(tmp_path, monkeypatch, make_assistant, news_jsonl):
    """On a terminal, a wait is named on stderr while it lasts: the first `models --prepare` writes MiniLM's ONNX
    form (seconds); `search` and `sources` load the index and the embedder."""
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "fresh-cache"))  # spawn() passes os.environ on
    p = spawn("models", "--prepare")
    p.expect("writing the embedding model's ONNX form \\(once\\)…")
    p.expect("embedding model ready: ")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0 and (tmp_path / "fresh-cache" / "onnx" / "all-MiniLM-L6-v2" / "model.onnx").is_file()

    make_assistant().ingest([news_jsonl])
    p = spawn("search", "harbour bridge")
    p.expect("searching…")
    p.expect(r"\[1\] ")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
