"""The server paths, against real servers on 127.0.0.1:

- the store on a Chroma server (``chroma run``) instead of the on-disk PersistentClient;
- the ``openai`` generator against llama-cpp-python's own OpenAI-compatible server running the local GGUF.

Both servers are started once per module and always stopped (process group, SIGTERM then SIGKILL).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from _servers import (
    SEEDS,
    VENV_BIN,
    chroma_ready,
    clean_env,
    files_under,
    free_port,
    get_json,
    isolated_assistant,
    server,
)

pytestmark = pytest.mark.server

TROOPS_Q = "How many North Korean troops joined Russian forces in Kursk?"
RANGE_Q = "What is the range of the ATACMS?"
SEED_PATH = str(next(SEEDS.glob("*.txt")).resolve())


def one_line(message: str) -> bool:
    return bool(message.strip()) and "\n" not in message.strip() and "Traceback" not in message


# ------------------------------------------------------------------------------------------------ Chroma server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real `chroma run` on a free port; yields (url, its persistence dir)."""
    home = tmp_path_factory.mktemp("chroma-server")
    path, port = home / "db", free_port()
    cmd = [str(VENV_BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with server(cmd, home / "chroma.log", chroma_ready(port), timeout=30, what="chroma run"):
        yield f"http://127.0.0.1:{port}", path


@pytest.fixture(scope="module")
def chroma_home(tmp_path_factory):
    return tmp_path_factory.mktemp("chroma-client")


@pytest.fixture(scope="module")
def on_server(request, chroma_server, chroma_home):
    """An extractive Assistant whose store is the Chroma server, with the seed article ingested."""
    url, _ = chroma_server
    a = isolated_assistant(request, chroma_home, chroma_url=url, llm="extractive")
    report = a.ingest([SEEDS])
    return a, report


def server_collection_count(url: str, name: str = "news") -> int:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    return client.get_collection(name).count()


def test_chroma_ingest_goes_to_the_server_and_sources_lists_it(on_server, chroma_server):
    a, report = on_server
    url, _ = chroma_server
    assert report.errors == [] and report.files == 1
    assert len(report.added) == 1 and report.updated == [] and report.unchanged == []
    assert report.chunks > 1
    assert a.store.location == url
    rows = a.sources()
    assert [r["doc_id"] for r in rows] == report.added
    assert rows[0]["path"] == SEED_PATH
    assert rows[0]["chunks"] == report.chunks
    # the chunks are in the server's collection, seen by an independent client
    assert server_collection_count(url) == report.chunks


def test_chroma_reingest_is_unchanged(on_server, chroma_server):
    a, first = on_server
    again = a.ingest([SEEDS])
    assert again.unchanged == first.added
    assert again.added == [] and again.updated == [] and again.removed == [] and again.chunks == 0
    assert server_collection_count(chroma_server[0]) == first.chunks


def test_chroma_url_from_env_reaches_the_same_index(on_server, chroma_server, tmp_path):
    """ASSISTANT_CHROMA_URL alone (another process, another data dir) sees what the API ingested."""
    _, report = on_server
    url, _ = chroma_server
    env = clean_env(ASSISTANT_CHROMA_URL=url, ASSISTANT_CONFIG=str(tmp_path / "absent.toml"))
    done = subprocess.run(
        [str(VENV_BIN / "assistant"), "sources", "--json", "--data-dir", str(tmp_path / "other")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["doc_id"] for r in rows] == report.added
    assert not (tmp_path / "other" / "chroma").exists()


def test_chroma_ask_extractive_is_cited(on_server):
    a, report = on_server
    answer = a.ask(RANGE_Q)
    assert not answer.refused
    assert "190" in answer.answer
    assert answer.citations, answer.answer
    assert all(c.doc_id == report.added[0] for c in answer.citations)
    assert any("190" in c.text for c in answer.citations)
    assert f"[{answer.citations[0].n}]" in answer.answer
    assert answer.unsupported == []
    assert answer.model == "extractive"


def test_chroma_remove(on_server, chroma_server, tmp_path):
    a, report = on_server
    url, _ = chroma_server
    extra = tmp_path / "extra.txt"
    extra.write_text(
        "The Quenby library opened a new reading room on Monday. It holds 4,200 maps and atlases.\n", encoding="utf-8"
    )
    added = a.ingest([extra])
    assert len(added.added) == 1 and added.chunks >= 1
    before = server_collection_count(url)
    assert before == report.chunks + added.chunks
    removed = a.remove(added.added[0])
    assert removed == added.chunks
    assert [r["doc_id"] for r in a.sources()] == report.added  # the seed stays
    assert server_collection_count(url) == report.chunks
    from assistant.errors import AssistantError

    with pytest.raises(AssistantError, match="no document with id"):
        a.remove(added.added[0])


def test_chroma_server_mode_keeps_no_store_locally_only_derived_caches(on_server, chroma_server, chroma_home):
    """The store lives in the server; what this process keeps under its data dir is derived from it (its BM25 base
    and the sources list, under servers/<host_port>/, tied to the server's write token) and may be deleted."""
    a, _ = on_server
    url, server_path = chroma_server
    a.ask(RANGE_Q)
    assert a.settings.chroma_path == chroma_home / "data" / "chroma"
    assert not a.settings.chroma_path.exists()
    host = url.split("://")[1].replace(":", "_")
    kept = [p.relative_to(chroma_home / "data") for p in files_under(chroma_home / "data") if p.is_file()]
    assert kept and {p.parts[:3] for p in kept} == {("servers", host, "bm25")}
    assert not any(p.name == "chroma.sqlite3" for p in kept)
    assert (server_path / "chroma.sqlite3").is_file()  # the server persisted it instead


def test_unreachable_chroma_is_a_one_line_backend_error(tmp_path):
    from assistant import Assistant
    from assistant.errors import AssistantError, BackendError

    url = f"http://127.0.0.1:{free_port()}"
    a = Assistant(data_dir=tmp_path / "data", chroma_url=url, llm="extractive")
    for action in (a.sources, lambda: a.ingest([SEEDS]), lambda: a.ask(RANGE_Q)):
        with pytest.raises(BackendError) as info:
            action()
        assert isinstance(info.value, AssistantError)
        message = str(info.value)
        assert one_line(message) and url in message and "chroma run" in message
    assert not (tmp_path / "data" / "chroma").exists()


def test_unreachable_chroma_cli_prints_one_error_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env = clean_env(ASSISTANT_CHROMA_URL=url, ASSISTANT_CONFIG=str(tmp_path / "absent.toml"))
    done = subprocess.run(
        [str(VENV_BIN / "assistant"), "sources", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: cannot reach the Chroma server")
    assert one_line(done.stderr) and url in done.stderr


# ------------------------------------------------------------------------- OpenAI backend on llama_cpp.server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on the local GGUF; yields (base_url, served model id)."""
    from assistant.answer.models import model_path
    from assistant.settings import Settings

    gguf = model_path("qwen2.5-coder-1.5b", Settings().cache_dir)
    home = tmp_path_factory.mktemp("llama-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "2",
        "--n_ctx",
        "4096",
        "--seed",
        "0",
        "--verbose",
        "False",
    ]
    with server(
        cmd, home / "llama.log", lambda: bool(get_json(f"{base}/models")["data"]), timeout=120, what="llama_cpp.server"
    ):
        yield base, get_json(f"{base}/models")["data"][0]["id"]


@pytest.fixture(scope="module")
def via_openai(request, llama_server, tmp_path_factory):
    """The openai backend pointed at the llama.cpp server, over the ingested seed article.

    llama_cpp.server applies repeat_penalty=1.1 to every request unless told otherwise (it has no command-line flag
    for it); with it, greedy decoding writes "10,000" as "10, 000". The local backend uses 1.0, so we send the same.
    """
    base, model_id = llama_server
    a = isolated_assistant(
        request,
        tmp_path_factory.mktemp("openai-client"),
        llm="openai",
        openai_base_url=base,
        openai_api_key="x",
        llm_model=model_id,
        openai_extra_body={"repeat_penalty": 1.0},
    )
    report = a.ingest([SEEDS])
    assert len(report.added) == 1
    return a


def test_openai_backend_answers_with_the_cited_figure(via_openai, llama_server):
    answer = via_openai.ask(TROOPS_Q)
    assert answer.model == f"openai:{llama_server[1]}"
    assert not answer.refused, answer.answer
    assert "10,000" in answer.answer
    assert any("10,000" in c.text for c in answer.citations), answer.answer
    assert answer.unsupported == []


def test_openai_backend_streams_in_pieces(via_openai):
    from assistant.types import Answer

    items = list(via_openai.ask_stream(TROOPS_Q))
    *pieces, final = items
    assert isinstance(final, Answer)
    assert all(isinstance(p, str) for p in pieces)
    streamed = "".join(pieces)
    assert streamed == final.answer  # only checked text is streamed: the pieces are the checked answer
    assert "10,000" in final.answer and not final.refused


def test_openai_backend_unreachable_is_a_one_line_backend_error(tmp_path):
    from assistant import Assistant
    from assistant.errors import BackendError
    from assistant.types import Passage

    base = f"http://127.0.0.1:{free_port()}/v1"
    a = Assistant(
        data_dir=tmp_path / "data",
        llm="openai",
        openai_base_url=base,
        openai_api_key="x",
        llm_model="any",
        openai_timeout=5,
    )
    passage = Passage(
        n=1,
        chunk_id="c1",
        doc_id="d1",
        text="Over 10,000 North Korean troops joined Russian forces.",
        score=1.0,
        metadata={"title": "t"},
    )
    with pytest.raises(BackendError) as info:
        a.answer(TROOPS_Q, [passage])
    message = str(info.value)
    assert one_line(message) and base in message
