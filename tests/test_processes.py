"""One writer and readers in separate real processes: `assistant serve` answering while `assistant ingest` and
`assistant remove` write, on one data dir (the embedded Chroma) and on one `chroma run` server. The reader sees every
write at its next query — its vector neighbours and its BM25 view both — with no stale or missing chunk.

The articles are written for these tests; the paraphrase shares no word with the new article, so only vector search
can find it (before the fix, a serving process's vector index never saw another process's writes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from _servers import VENV_BIN, chroma_ready, clean_env, free_port, get_json, server
from conftest import NEWS_RECORDS, write_jsonl

pytestmark = pytest.mark.server

NEW = {
    "id": "wire-9",
    "title": "Zorbulite cargo",
    "source": "Port Gazette",
    "published_at": "2025-02-03",
    "body": "A zorbulite cargo reached the quay at noon and crane operators unloaded it before dusk.",
}
PARAPHRASE = "When did the shipment dock?"  # no word of it (after stemming and stopwords) is in NEW's text
CHANGED = dict(NEWS_RECORDS[2], body="The harbour ferry timetable is suspended while the pier is rebuilt.")


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        ASSISTANT_LLM="extractive",
        ASSISTANT_DATA_DIR=str(home / "data"),
        ASSISTANT_CONFIG=str(home / "absent-config.toml"),
        ASSISTANT_CACHE_DIR=os.environ["ASSISTANT_CACHE_DIR"],  # MiniLM's ONNX export, as conftest provides it
        **extra,
    )


def cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def serve(home: Path, env: dict[str, str]):
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    ready = lambda: get_json(f"{url}/healthz")["status"] == "ok"  # noqa: E731
    return url, server(cmd, home / "serve.log", ready, timeout=120, what="assistant serve", env=env)


def search(url: str, query: str) -> list[dict]:
    r = httpx.post(f"{url}/v1/search", json={"query": query}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()["passages"]


def docs(passages: list[dict]) -> set[str]:
    return {p["doc_id"] for p in passages}


def the_reader_sees_each_write(url: str, writer: dict[str, str], corpus: Path) -> None:
    assert "wire-9" not in docs(search(url, PARAPHRASE))  # the store is loaded; the article is not there yet
    cli(writer, "ingest", str(write_jsonl(corpus / "new.jsonl", [NEW])))
    assert "wire-9" in docs(search(url, PARAPHRASE))  # found by its vector, at the first query after the write
    best = max(search(url, "zorbulite cargo"), key=lambda p: p["score"])  # passages come in document order
    assert best["doc_id"] == "wire-9" and best["score"] > 1 / 61  # first by both rankers (one alone: ≤ 1/61)
    write_jsonl(corpus / "news.jsonl", [*NEWS_RECORDS[:2], CHANGED, NEWS_RECORDS[3]])
    cli(writer, "ingest", str(corpus / "news.jsonl"))  # wire-3 changed
    cli(writer, "remove", "wire-4")
    texts = [p["text"] for p in search(url, "harbour ferry pier suspended") if p["doc_id"] == "wire-3"]
    assert texts == [CHANGED["body"]]  # the new version only: no stale chunk
    assert "wire-4" not in docs(search(url, "rare seventeenth century atlas Quenby"))
    assert "wire-3" not in docs(search(url, "twenty minutes midnight crossings")) or texts == [CHANGED["body"]]


def test_a_serving_process_sees_ingests_and_removals_from_the_command_line(tmp_path):
    """Issue 23: `serve` and the CLI on one data dir (the embedded Chroma)."""
    env = env_for(tmp_path)
    corpus = tmp_path / "corpus"
    cli(env, "ingest", str(write_jsonl(corpus / "news.jsonl", NEWS_RECORDS)))
    url, running = serve(tmp_path, env)
    with running:
        the_reader_sees_each_write(url, env, corpus)


@pytest.fixture
def chroma_url(tmp_path):
    port = free_port()
    cmd = [str(VENV_BIN / "chroma"), "run", "--path", str(tmp_path / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with server(cmd, tmp_path / "chroma.log", chroma_ready(port), timeout=60, what="chroma run"):
        yield f"http://127.0.0.1:{port}"


def test_a_writer_and_readers_on_one_chroma_server(tmp_path, chroma_url, make_assistant):
    """Issue 24: a writer (the CLI) and readers (`serve`, and an Assistant in this process to look inside) with data
    dirs of their own over one `chroma run`: the write token and log live in the server."""
    writer = env_for(tmp_path / "writer", ASSISTANT_CHROMA_URL=chroma_url)
    corpus = tmp_path / "corpus"
    cli(writer, "ingest", str(write_jsonl(corpus / "news.jsonl", NEWS_RECORDS)))
    inside = make_assistant(chroma_url=chroma_url, data_dir=tmp_path / "inside")
    assert inside.retrieve("harbour ferry", k=1)[0].doc_id == "wire-3"
    url, running = serve(tmp_path / "reader", env_for(tmp_path / "reader", ASSISTANT_CHROMA_URL=chroma_url))
    with running:
        the_reader_sees_each_write(url, writer, corpus)
    view = inside.retriever.bm25(None)
    stored = inside.store.get(include_text=False)["ids"]
    assert sorted(view.ids) == sorted(stored) and "wire-4:0" not in stored and "wire-9:0" in stored
    assert view.rebuilt == 1  # brought up to date from the log, not rebuilt from a scan of the server
    assert [h.chunk_id for h in view.search("zorbulite", 5)] == ["wire-9:0"]
    assert [h.text for h in view.search("pier suspended", 5)] == [CHANGED["body"]]
