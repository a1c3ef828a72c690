"""What a client that reads only the streamed text gets is exactly the checked answer, through each interface that
streams: a real `assistant serve` read by the openai SDK, `assistant ask --stream` read from its stdout, and `assistant
mcp` read through its progress notifications. The model is a scripted OpenAI-compatible endpoint (_scripted_llm.py)
whose reply cites the wrong passage ([2] for a fact of [1]) and one that does not exist ([7]); it stops after the
first sentence until the reader has that sentence checked, so each test also shows the first sentence arrived while
the model was still writing."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from _scripted_llm import CHECKED, CHECKED_FIRST, QUESTION, RECORDS, env_for, scripted_endpoint
from _servers import ROOT, clean_env, free_port, get_json, server

from conftest import write_jsonl


def env(home, endpoint, **extra) -> dict[str, str]:
    return clean_env(
        ASSISTANT_DATA_DIR=str(home / "data"),
        ASSISTANT_CONFIG=str(home / "absent-config.toml"),
        ASSISTANT_CACHE_DIR=str(home / "cache"),
        **env_for(endpoint),
        **extra,
    )


@pytest.mark.server
def test_openai_client_reading_only_the_stream_gets_the_checked_answer(tmp_path):
    openai = pytest.importorskip("openai")
    with scripted_endpoint() as endpoint:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
        ready = lambda: get_json(f"{url}/healthz")["status"] == "ok"  # noqa: E731
        with server(cmd, tmp_path / "serve.log", ready, 120, "assistant serve", env(tmp_path, endpoint)):
            assert httpx.post(f"{url}/v1/ingest", json={"records": RECORDS}, timeout=120).status_code == 200
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=120)
            stream = client.chat.completions.create(
                model="assistant", stream=True, messages=[{"role": "user", "content": QUESTION}]
            )
            text, chunks = "", []
            for chunk in stream:
                chunks.append(chunk)
                text += chunk.choices[0].delta.content or ""
                if text.startswith(CHECKED_FIRST):
                    endpoint.seen.set()
            whole = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    assert endpoint.waited[0] is False  # the first checked sentence reached the client before the model went on
    answer, sources = text.split("\n\nSources:\n")
    assert answer == CHECKED  # the wrong [2] moved to [1], the [7] dropped (the fact is in [2]); nothing else
    assert "[7]" not in text and whole.choices[0].message.content.startswith(CHECKED + "\n\nSources:")
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["refused"] is False
    # the sources where clients look: each citation's marker span and its article, in the last chunk and per choice
    marks = last.choices[0].delta.model_extra["annotations"]
    assert [text[m["url_citation"]["start_index"] : m["url_citation"]["end_index"]] for m in marks] == ["[1]", "[2]"]
    assert [(m["doc_id"], m["url_citation"]["title"]) for m in marks] == [
        ("ferry", "Brill ferry"),
        ("museum", "Brill museum"),
    ]
    assert marks[0]["url_citation"]["url"] == "assistant://documents/ferry"
    assert text[marks[1]["sentence"]["start_index"] : marks[1]["sentence"]["end_index"]].startswith("The museum")
    per_choice = whole.choices[0].message.annotations
    assert [(a.type, a.url_citation.start_index, a.url_citation.title) for a in per_choice] == [
        (m["type"], m["url_citation"]["start_index"], m["url_citation"]["title"]) for m in marks
    ]
    assert last.usage.completion_tokens > 0 and last.usage.prompt_tokens > last.usage.completion_tokens
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    assert whole.usage.model_extra["counted"].startswith("estimate")  # the endpoint does not say: estimated


def dated(line: str) -> list[str]:
    """The date sentence a dated answer ends with (issue 24), if the line has one."""
    return [line[line.index("As of ") :]] if "As of " in line else []


def test_ask_stream_prints_only_the_checked_answer(make_assistant, tmp_path):
    make_assistant().ingest([write_jsonl(tmp_path / "news.jsonl", RECORDS)])
    with scripted_endpoint() as endpoint:
        cmd = [sys.executable, "-m", "assistant", "ask", QUESTION, "--stream", "--no-log"]
        run_env = env(tmp_path, endpoint)
        proc = subprocess.Popen(
            cmd, cwd=str(ROOT), env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        assert proc.stdout is not None
        out = b""
        try:
            while chunk := os.read(proc.stdout.fileno(), 4096):
                out += chunk
                if out.decode("utf-8", "replace").startswith(CHECKED_FIRST):
                    endpoint.seen.set()
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
    printed = out.decode()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert endpoint.waited == [False]  # the first sentence was on stdout while the model was still writing
    first_line = printed.split("\n")[0]
    assert first_line.startswith(CHECKED) and first_line[len(CHECKED) :] in ("", *[f" {d}" for d in dated(first_line)])
    assert printed.count(CHECKED_FIRST) == 1 and "Checked answer" not in printed
    assert "[7]" not in printed.split("Citations the check changed:")[0]
    assert "  [2] → [1]: moved to the passage that holds" in printed and "  [7] dropped: there is no passage" in printed


@pytest.mark.server
def test_mcp_ask_tells_only_checked_text_as_it_comes(tmp_path):
    pytest.importorskip("mcp")
    import anyio
    from mcp import Client, StdioServerParameters

    told: list[str] = []
    with scripted_endpoint() as endpoint:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "assistant", "mcp"], env=env(tmp_path, endpoint)
        )

        async def progress(value, total, message):
            told.append(message or "")
            if (message or "").startswith("answer so far: " + CHECKED_FIRST):
                endpoint.seen.set()

        async def main():
            with anyio.fail_after(240):
                async with Client(params, read_timeout_seconds=180) as client:
                    for r in RECORDS:  # one article per call
                        added = await client.call_tool(
                            "ingest",
                            {
                                "text": r["body"],
                                "title": r["title"],
                                "source": r["source"],
                                "published_at": r["published_at"],
                            },
                        )
                        assert not added.is_error, added.content
                    return await client.call_tool("ask", {"question": QUESTION}, progress_callback=progress)

        result = anyio.run(main)
    assert not result.is_error and result.structured_content["answer"] == CHECKED
    answers = [m.removeprefix("answer so far: ") for m in told if m.startswith("answer so far: ")]
    assert answers and answers[-1] == CHECKED and all(CHECKED.startswith(a) for a in answers)
    assert endpoint.waited == [False]
