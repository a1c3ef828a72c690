"""The HTTP API in-process: the real FastAPI app over an extractive Assistant with the seed article, through Starlette's
TestClient (no port). Routes, errors, auth, limits and the generation gate. The same app as a real process, with the
openai client, concurrency and schemathesis, is in test_serve.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from conftest import NEWS_RECORDS, ROOT

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from assistant.interfaces.server import ServerConfig, create_app  # noqa: E402
from assistant.interfaces.server.chat import conversation  # noqa: E402
from assistant.interfaces.server.shapes import ChatMessage  # noqa: E402

from test_cli import ANSWER_SCHEMA  # noqa: E402

RANGE_Q = "What is the range of the ATACMS?"
ANSWER_KEYS = set(ANSWER_SCHEMA["required"])  # the `ask --json` object's keys, as test_cli defines them


@pytest.fixture
def client_for():
    opened = []

    def make(assistant, **config):
        client = TestClient(create_app(assistant, ServerConfig(**config)), base_url="http://127.0.0.1:8000")
        client.__enter__()  # runs the lifespan: the warm-up
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def api(seeded, client_for):
    return client_for(seeded)


def chat(client, content: str, **extra):
    return client.post(
        "/v1/chat/completions", json={"model": "assistant", "messages": [{"role": "user", "content": content}], **extra}
    )


def one_line_error(r, status: int) -> str:
    assert r.status_code == status, r.text
    message = r.json()["error"]["message"]
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_ask_is_exactly_the_ask_json_object(seeded, api):
    r = api.post("/v1/ask", json={"question": RANGE_Q})
    assert r.status_code == 200, r.text
    got, want = r.json(), seeded.ask(RANGE_Q).to_json()
    assert set(got) == ANSWER_KEYS
    for key in ANSWER_KEYS - {"timings_ms"}:
        assert got[key] == want[key], key
    assert "190 miles" in got["answer"] and not got["refused"]
    assert set(got["timings_ms"]) == {"retrieve", "generate", "verify", "total", "first_shown"}


def test_ask_with_k_means_exactly_k_passages(api):
    r = api.post("/v1/ask", json={"question": RANGE_Q, "k": 2})
    assert r.status_code == 200 and len(r.json()["passages"]) == 2


def test_chat_completion_is_the_verified_answer_with_sources_and_extras(seeded, api):
    want = seeded.ask(RANGE_Q)
    r = chat(api, RANGE_Q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    (choice,) = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    content = choice["message"]["content"]
    assert content.startswith(want.answer + "\n\nSources:\n[")
    title = want.citations[0].title
    assert f"[{want.citations[0].n}] {title}" in content
    assert body["citations"] == [c for c in want.to_json()["citations"]]
    assert body["refused"] is False and body["unsupported"] == []
    assert body["system_fingerprint"] == "extractive"


def test_chat_stream_is_sse_chunks_then_done_with_citations_last(seeded, api):
    want = seeded.ask(RANGE_Q)
    with api.stream(
        "POST", "/v1/chat/completions", json={"messages": [{"role": "user", "content": RANGE_Q}], "stream": True}
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        data = [line[len("data: ") :] for line in r.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * (len(chunks) - 1) + ["stop"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.startswith(want.answer) and "\n\nSources:\n[" in text
    assert chunks[-1]["citations"] == want.to_json()["citations"] and chunks[-1]["refused"] is False
    assert all("citations" not in c for c in chunks[:-1])


def test_unanswerable_question_is_refused_without_citations(api):
    r = chat(api, "Who won the 1998 football World Cup final in Paris?")
    body = r.json()
    assert body["refused"] is True and body["citations"] == []
    assert body["choices"][0]["message"]["content"] == "Insufficient information."


def test_conversation_takes_the_last_user_message_and_earlier_turns():
    messages = [
        ChatMessage(role="system", content="be brief"),
        ChatMessage(role="user", content="What is the ATACMS?"),
        ChatMessage(role="assistant", content="A missile [1].\n\nSources:\n[1] Title — Reuters"),
        ChatMessage(role="user", content=[{"type": "text", "text": "What is its range?"}]),
    ]
    question, history = conversation(messages)
    assert question == "What is its range?"
    assert history == [("What is the ATACMS?", "A missile [1].")]


def test_search_returns_passages_without_an_answer(api):
    r = api.post("/v1/search", json={"query": "ATACMS range", "k": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "answer" not in body and [p["n"] for p in body["passages"]] == [1, 2]
    assert all(p["doc_id"] and p["text"] and "source" in p for p in body["passages"])


def test_models_and_healthz(api):
    assert api.get("/healthz").json() == {"status": "ok", "llm": "extractive"}
    assert [m["id"] for m in api.get("/v1/models").json()["data"]] == ["assistant"]


def test_ingest_records_then_ask_then_remove(api):
    r = api.post("/v1/ingest", json={"records": NEWS_RECORDS})
    assert r.status_code == 200, r.text
    report = r.json()
    assert sorted(report["added"]) == ["wire-1", "wire-2", "wire-3", "wire-4"] and report["errors"] == []
    ids = {d["doc_id"]: d for d in api.get("/v1/sources").json()["documents"]}
    assert {"wire-1", "wire-4"} <= set(ids) and ids["wire-1"]["source"] == "Coastal Times"
    answer = api.post("/v1/ask", json={"question": "How many steel cables did engineers replace on the bridge?"}).json()
    assert "312" in answer["answer"] and [c["doc_id"] for c in answer["citations"]] == ["wire-1"]
    again = api.post("/v1/ingest", json={"records": NEWS_RECORDS}).json()
    assert sorted(again["unchanged"]) == ["wire-1", "wire-2", "wire-3", "wire-4"] and again["chunks"] == 0
    r = api.delete("/v1/sources/wire-1")
    assert r.status_code == 200 and r.json()["removed"] == "wire-1" and r.json()["chunks"] >= 1
    assert "wire-1" not in {d["doc_id"] for d in api.get("/v1/sources").json()["documents"]}
    assert "no document with id 'wire-1'" in one_line_error(api.delete("/v1/sources/wire-1"), 404)


def test_ingest_bad_record_is_reported_and_the_good_ones_indexed(api):
    r = api.post("/v1/ingest", json={"records": [NEWS_RECORDS[1], {"title": "no body"}]})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == ["wire-2"]
    assert r.json()["errors"] == ["records[1]: the record has no 'body', 'text' or 'content' string; add one"]
    message = one_line_error(api.post("/v1/ingest", json={"records": [{"title": "no body"}, 7]}), 422)
    assert message == "records[0]: the record has no 'body', 'text' or 'content' string; add one"
    assert api.post("/v1/ingest", json={"records": [7]}).json()["errors"] == [
        "records[0]: expected a JSON object (a news record), got int"
    ]
    dupes = api.post(
        "/v1/ingest",
        json={"records": [NEWS_RECORDS[2], NEWS_RECORDS[2], dict(NEWS_RECORDS[2], body="Other."), NEWS_RECORDS[0]]},
    ).json()
    # as in a .jsonl file: the same article twice is kept once, one id for two different articles indexes neither
    assert dupes["added"] == ["wire-1"] and dupes["errors"] == [
        "records[2]: duplicate id 'wire-3' (also at records[0]) for a different article; neither is indexed: "
        "ids must be unique"
    ]
    assert "non-empty list" in one_line_error(api.post("/v1/ingest", json={"records": []}), 422)
    assert "not valid JSON" in one_line_error(
        api.post("/v1/ingest", content=b"{oops", headers={"content-type": "application/json"}), 422
    )


def test_ingest_uploaded_files_with_the_cli_rules(api):
    note = b"Harbour ferry news\nThe harbour ferry will carry 1,450 passengers a day from the new pier in May."
    r = api.post(
        "/v1/ingest",
        files=[("files", ("ferry.txt", note, "text/plain")), ("files", ("photo.png", b"\x89PNG", "image/png"))],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["added"]) == 1 and body["files"] == 1
    from assistant.ingest.readers import SUPPORTED

    assert body["errors"] == [f"photo.png: unsupported file type '.png'; use {', '.join(sorted(SUPPORTED))}"]
    row = next(d for d in api.get("/v1/sources").json()["documents"] if d["doc_id"] == body["added"][0])
    assert row["title"] == "Harbour ferry news" and row["path"] == "upload:ferry.txt"
    assert (
        "1,450"
        in api.post("/v1/ask", json={"question": "How many passengers will the harbour ferry carry a day?"}).json()[
            "answer"
        ]
    )


def test_errors_are_one_json_line_with_a_4xx(api, make_assistant, tmp_path, client_for):
    assert one_line_error(api.post("/v1/ask", json={"question": RANGE_Q, "since": "soon"}), 422).startswith(
        "since: Input should be a valid date"
    )
    assert (
        one_line_error(api.post("/v1/ask", content=b"\xff{", headers={"content-type": "application/json"}), 400)
        == "There was an error parsing the body"
    )  # FastAPI's own, in the same JSON shape
    assert "Not Found" in one_line_error(api.get("/v2/nothing"), 404)
    assert one_line_error(api.post("/v1/chat/completions", json={"model": "x"}), 422) == "messages: Field required"
    assert "no user message" in one_line_error(
        api.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]}), 422
    )
    blank = one_line_error(api.post("/v1/ask", json={"question": "   "}), 422)
    assert blank.startswith("question: String should match")
    assert "415" not in one_line_error(
        api.post("/v1/ingest", content=b"x", headers={"content-type": "text/plain"}), 415
    )
    empty = client_for(make_assistant(data_dir=tmp_path / "empty"))
    assert one_line_error(chat(empty, RANGE_Q), 409).startswith("nothing is indexed")


def test_question_length_limit_is_422_with_the_reason(seeded, client_for):
    api = client_for(seeded, max_question_chars=40)
    message = one_line_error(chat(api, "x" * 41), 422)
    assert message == "the question is 41 characters long; the limit is 40"
    assert one_line_error(api.post("/v1/search", json={"query": "y" * 50}), 422).startswith("the query is 50")
    assert chat(api, RANGE_Q).status_code == 200


def test_body_size_limit_is_413(seeded, client_for):
    api = client_for(seeded, max_body_bytes=2000)
    big = {"records": [{"title": "t", "body": "word " * 1000}]}
    assert "over the limit of 2,000 bytes" in one_line_error(api.post("/v1/ingest", json=big), 413)

    def chunked():  # no Content-Length: the body is counted as it comes
        for _ in range(10):
            yield b" " * 500

    one_line_error(api.post("/v1/ingest", content=chunked(), headers={"content-type": "application/json"}), 413)
    assert api.post("/v1/ask", json={"question": RANGE_Q}).status_code == 200


def test_api_key_guards_every_route_but_healthz(seeded, client_for):
    api = client_for(seeded, api_key="s3cret")
    assert api.get("/healthz").status_code == 200
    for method, path, body in (
        ("get", "/v1/models", None),
        ("get", "/v1/sources", None),
        ("post", "/v1/ask", {"question": RANGE_Q}),
        ("post", "/v1/search", {"query": "x"}),
        ("post", "/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}),
        ("post", "/v1/ingest", {"records": NEWS_RECORDS}),
        ("delete", "/v1/sources/x", None),
    ):
        kwargs = {"json": body} if body else {}
        r = getattr(api, method)(path, **kwargs)
        assert "API key" in one_line_error(r, 401) and r.headers["www-authenticate"] == "Bearer", path
        r = getattr(api, method)(path, headers={"Authorization": "Bearer wrong"}, **kwargs)
        assert r.status_code == 401, path
    assert api.get("/v1/sources").status_code == 401  # nothing was ingested without the key
    r = api.post("/v1/ask", json={"question": RANGE_Q}, headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and "190 miles" in r.json()["answer"]


def test_a_request_waiting_past_the_timeout_gets_503_with_retry_after(seeded, client_for, monkeypatch):
    api = client_for(seeded, generation_slots=1, queue_timeout=0.5)
    entered, release = threading.Event(), threading.Event()
    original = seeded.answer

    def slow_answer(*args, **kwargs):  # the first generation holds the gate until the test lets it go
        entered.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(seeded, "answer", slow_answer)
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=api.post("/v1/ask", json={"question": RANGE_Q})))
    worker.start()
    try:
        assert entered.wait(30)
        t0 = time.monotonic()
        r = chat(api, RANGE_Q)
        waited = time.monotonic() - t0
        assert "busy" in one_line_error(r, 503)
        assert int(r.headers["retry-after"]) >= 1 and 0.4 < waited < 10
        # search does not wait for the generator
        assert api.post("/v1/search", json={"query": "ATACMS"}).status_code == 200
    finally:
        release.set()
        worker.join(30)
    assert first["r"].status_code == 200 and "190 miles" in first["r"].json()["answer"]
    monkeypatch.setattr(seeded, "answer", original)
    assert chat(api, RANGE_Q).status_code == 200  # the gate was given back


def test_openapi_schema_lists_every_route(api):
    schema = api.get("/openapi.json").json()
    assert {
        "/v1/chat/completions",
        "/v1/models",
        "/v1/ask",
        "/v1/search",
        "/v1/ingest",
        "/v1/sources",
        "/v1/sources/{doc_id}",
        "/healthz",
    } <= set(schema["paths"])
    assert set(schema["paths"]["/v1/ingest"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
    }


HELP_PROBE = """
import json, sys
from assistant.interfaces.cli import app
for args in (["--help"], ["serve", "--help"], ["mcp", "--help"]):
    try:
        app(args)
    except SystemExit as exit:
        assert exit.code == 0, (args, exit.code)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def test_serve_and_mcp_help_load_no_server_or_model_library():
    r = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stderr.strip().splitlines()[-1]))
    assert "typer" in loaded
    for heavy in ("fastapi", "uvicorn", "mcp", "starlette", "torch", "llama_cpp", "chromadb"):
        assert heavy not in loaded, heavy
    assert "--api-key" in r.stdout and "ASSISTANT_API_KEY" in r.stdout
