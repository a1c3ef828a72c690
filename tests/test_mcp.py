"""`assistant mcp` as a real stdio process, driven by the MCP SDK's own client: list the tools, call each one, read the
indexed documents as resources. The client starts the server and stops it when the session ends."""

from __future__ import annotations

import re
import sys

import anyio
import pytest
from _servers import SEEDS, clean_env

mcp = pytest.importorskip("mcp")

pytestmark = pytest.mark.server

RANGE_Q = "What is the range of the ATACMS?"
LOADING = "loading the models (once, at start)"


def params(home):
    from mcp import StdioServerParameters

    env = clean_env(
        ASSISTANT_LLM="extractive",
        ASSISTANT_DATA_DIR=str(home / "data"),
        ASSISTANT_CACHE_DIR=str(home / "cache"),
        ASSISTANT_CONFIG=str(home / "absent-config.toml"),
    )
    # the ingest tool reads files under the allowed roots only: the test's folder and the seeds
    roots = ["--allow-root", str(home), "--allow-root", str(SEEDS)]
    return StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp", *roots], env=env)


def run(home, session, errlog=None):
    """Run ``session(client)`` against a fresh `assistant mcp` process (its stderr to ``errlog``, a file, when
    given); bounded by a timeout."""
    from mcp import Client
    from mcp.client.stdio import stdio_client

    async def main():
        with anyio.fail_after(240):
            server = params(home) if errlog is None else stdio_client(params(home), errlog=errlog)
            async with Client(server, read_timeout_seconds=180) as client:
                return await session(client)

    return anyio.run(main)


def test_mcp_loads_the_models_at_start_and_tells_the_first_call(tmp_path):
    """`assistant mcp` loads the models at start (stderr says so, then how long it took) while it answers the
    handshake; the first `ask` gets progress notifications naming what it waits for."""
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "bridge.txt").write_text(
        "Harbour bridge reopens\nThe Kelvingrove harbour bridge reopened on Saturday after engineers replaced 312 "
        "steel cables.",
        encoding="utf-8",
    )
    seen: list[str] = []

    async def progress(value, total, message):
        seen.append(message)

    async def session(client):
        first = await client.call_tool(
            "ask", {"question": "How many cables were replaced?"}, progress_callback=progress
        )
        ingest = await client.call_tool("ingest", {"paths": [str(tmp_path / "news")]}, progress_callback=progress)
        asked = await client.call_tool(
            "ask", {"question": "How many steel cables did engineers replace?"}, progress_callback=progress
        )
        return first, ingest, asked

    with open(tmp_path / "stderr.txt", "w", encoding="utf-8") as errlog:
        first, ingest, asked = run(tmp_path, session, errlog)
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert "assistant mcp: loading the models…" in err
    assert re.search(r"assistant mcp: models loaded in \d+\.\d s; ready", err), err
    assert first.is_error and "nothing is indexed" in first.content[0].text  # no index yet: said, not hung
    assert not ingest.is_error and not asked.is_error and "312" in asked.structured_content["answer"]
    # the calls said what they waited for: the load (if the first came before it was over), then each stage
    assert set(seen) >= {"indexing", "retrieving", "checking citations"}, seen
    stages = [m for m in seen if not m.startswith("answer so far: ")]  # then the checked answer as it is released
    assert set(stages) <= {LOADING, "indexing", "retrieving", "generating", "checking citations"}, seen  # one at a time
    assert seen[-1] == "answer so far: " + asked.structured_content["answer"]


def test_a_call_during_the_start_up_load_waits_and_says_so(make_assistant, seeds_dir):
    """A tool called while the models load waits for them (it does not load them beside the start-up load), and the
    MCP SDK's client sees progress notifications: the load, repeated while it lasts, then the answer's stages."""
    import threading
    import time

    from mcp import Client

    from assistant.interfaces.mcp import HEARTBEAT_S, create_server
    from assistant.interfaces.warm import Warmup

    seeded = make_assistant()
    seeded.ingest([seeds_dir])

    class SlowToLoad:  # the embedder of a fresh process: its first use takes a while
        def __init__(self, inner):
            self.inner, self.name, self.calls = inner, inner.name, 0

        def embed(self, texts):
            self.calls += 1
            if self.calls == 1:
                time.sleep(HEARTBEAT_S + 1.5)
            return self.inner.embed(texts)

    slow = SlowToLoad(seeded.embedder)
    a = make_assistant(embedder=slow)
    said: list[str] = []
    lock = threading.RLock()
    warm = Warmup(a, lock, said.append).start()
    seen: list[tuple[float, str]] = []

    async def progress(value, total, message):
        seen.append((value, message))

    async def main():
        with anyio.fail_after(120):
            async with Client(create_server(a, lock, warm.done)) as client:
                return await client.call_tool("ask", {"question": RANGE_Q}, progress_callback=progress)

    result = anyio.run(main)
    assert not result.is_error and "190 miles" in result.structured_content["answer"]
    messages = [m for _, m in seen]
    assert messages[:2] == [LOADING, LOADING], messages  # said at once, and again while the load lasted
    assert messages[2:] and LOADING not in messages[2:] and "retrieving" in messages[2:], messages
    assert [v for v, _ in seen] == sorted({v for v, _ in seen})  # progress only grows
    assert said[0] == "loading the models…" and said[1].startswith("models loaded in") and warm.error == ""
    assert slow.calls >= 2  # the warm-up's embedding, then the question's: the model was built once


def test_mcp_tools_over_stdio(tmp_path):
    news = tmp_path / "news.txt"
    news.write_text(
        "Harbour bridge reopens\nThe Kelvingrove harbour bridge reopened on Saturday after engineers "
        "replaced 312 steel cables.",
        encoding="utf-8",
    )

    async def session(client):
        out = {"tools": sorted(t.name for t in (await client.list_tools()).tools)}
        out["empty_ask"] = await client.call_tool("ask", {"question": RANGE_Q})
        out["ingest"] = await client.call_tool("ingest", {"paths": [str(SEEDS), str(tmp_path / "missing.txt")]})
        out["ingest_text"] = await client.call_tool(
            "ingest",
            {
                "text": "The city library received a rare seventeenth century atlas from the Quenby family.",
                "title": "Library gets rare atlas",
                "source": "Coastal Times",
            },
        )
        out["ingest_file"] = await client.call_tool("ingest", {"paths": [str(news)]})
        out["sources"] = await client.call_tool("list_sources", {})
        out["search"] = await client.call_tool("search", {"query": "ATACMS range", "k": 3})
        out["ask"] = await client.call_tool("ask", {"question": RANGE_Q})
        out["bad_date"] = await client.call_tool("ask", {"question": RANGE_Q, "since": "soon"})
        out["resources"] = (await client.list_resources()).resources
        seed_id = out["ingest"].structured_content["added"][0]
        out["read"] = await client.read_resource(f"assistant://documents/{seed_id}")
        out["read_missing"] = None
        try:
            await client.read_resource("assistant://documents/nope")
        except Exception as err:  # the SDK raises the server's protocol error
            out["read_missing"] = str(err)
        return out

    out = run(tmp_path, session)
    assert out["tools"] == ["ask", "ingest", "list_sources", "search"]

    empty = out["empty_ask"]
    # the SDK puts "Error executing tool NAME: " before the tool's one-line message
    assert empty.is_error and empty.content[0].text.startswith("Error executing tool ask: nothing is indexed in ")
    assert "\n" not in empty.content[0].text

    ingest = out["ingest"].structured_content
    assert not out["ingest"].is_error and len(ingest["added"]) == 1 and ingest["files"] == 1
    assert ingest["errors"] == [f"{tmp_path / 'missing.txt'}: no such file or directory; check the path"]
    assert len(out["ingest_text"].structured_content["added"]) == 1
    assert len(out["ingest_file"].structured_content["added"]) == 1

    docs = out["sources"].structured_content["documents"]
    assert len(docs) == 3 and {"Library gets rare atlas", "Harbour bridge reopens"} <= {d["title"] for d in docs}
    assert next(d for d in docs if d["title"] == "Library gets rare atlas")["source"] == "Coastal Times"

    passages = out["search"].structured_content["passages"]
    assert [p["n"] for p in passages] == [1, 2, 3] and any("190 miles" in p["text"] for p in passages)
    assert all(p["doc_id"] == ingest["added"][0] for p in passages if "ATACMS" in p["text"])

    answer = out["ask"].structured_content
    assert not out["ask"].is_error and "190 miles" in answer["answer"] and answer["refused"] is False
    assert answer["citations"] and answer["citations"][0]["doc_id"] == ingest["added"][0]
    assert "passages" not in answer
    assert out["bad_date"].is_error
    assert out["bad_date"].content[0].text.endswith(": --since 'soon' is not a date; use YYYY-MM-DD")

    uris = {str(r.uri) for r in out["resources"]}
    assert uris == {f"assistant://documents/{d['doc_id']}" for d in docs}
    text = out["read"].contents[0].text
    assert text.startswith("President Joe Biden") and "190 miles" in text and "ATACMS" in text
    assert "no document with id 'nope'" in out["read_missing"]
