"""A scripted OpenAI-compatible endpoint on 127.0.0.1, for the openai backend of real `assistant` processes: it
streams a fixed reply (a model's answer with a wrong citation and one to a passage that does not exist) a token at a
time, and can stop after a given prefix until the test says the reader has seen the first checked sentence — so a
test knows the first sentence reached the reader while the model was still writing, without timing anything.

Two hand-written articles go with it: the ferry fact is in the first, the museum fact in the second; the reply cites
them the wrong way round ([2], then [7]); checked, it is ``CHECKED``.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator

QUESTION = "What do the articles say about the Brill ferry and the museum?"
RECORDS = [
    {
        "id": "ferry",
        "title": "Brill ferry",
        "source": "Harbour Gazette",
        "published_at": "2025-01-01",
        "body": "The Brill harbour ferry carries 240 passengers on each crossing.",
    },
    {
        "id": "museum",
        "title": "Brill museum",
        "source": "Coast Courier",
        "published_at": "2025-01-02",
        "body": "The Brill maritime museum keeps the logbooks of the old paddle steamer Osprey.",
    },
]
FIRST = "The Brill ferry carries 240 passengers on each crossing [2]."
REPLY = FIRST + " The museum keeps the logbooks of the Osprey [7]."
CHECKED_FIRST = "The Brill ferry carries 240 passengers on each crossing [1]."
CHECKED = CHECKED_FIRST + " The museum keeps the logbooks of the Osprey [2]."
PAUSE_AFTER = FIRST + " The museum keeps"  # the second sentence has begun: the first is complete


class Scripted:
    """The endpoint's state: ``seen`` is set by the test when its reader got the first checked sentence; ``waited``
    records, per scripted reply, whether it had to give up waiting for that (the reader got nothing mid-stream)."""

    def __init__(self, url: str):
        self.url = url
        self.seen = threading.Event()
        self.waited: list[bool] = []
        self.prompts: list[list[dict]] = []  # the messages of every request, in order


def tokens(text: str) -> list[str]:
    return re.findall(r"\s*(?:\w+|[^\w\s])", text)


@contextmanager
def scripted_endpoint(pause: bool = True, wait_s: float = 60.0) -> Iterator[Scripted]:
    """Serve /v1/chat/completions: ``REPLY`` to a prompt holding ``QUESTION`` (pausing after ``PAUSE_AFTER`` until
    ``seen`` is set, when ``pause``), "Insufficient information." to any other (a warm-up)."""
    state: list[Scripted] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            state[0].prompts.append(body.get("messages", []))
            prompt = " ".join(str(m.get("content") or "") for m in body.get("messages", []))
            scripted = QUESTION in prompt
            reply = REPLY if scripted else "Insufficient information."
            if not body.get("stream"):
                message = {"role": "assistant", "content": reply}
                out = {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted"}
                out["choices"] = [{"index": 0, "message": message, "finish_reason": "stop"}]
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            written = ""
            for piece in tokens(reply):
                if scripted and pause and written == PAUSE_AFTER:
                    state[0].waited.append(not state[0].seen.wait(wait_s))
                written += piece
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
                chunk["choices"] = [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
            end["choices"] = [{"index": 0, "delta": {}, "finish_reason": "stop"}]
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.append(Scripted(f"http://127.0.0.1:{httpd.server_address[1]}/v1"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        state[0].seen.set()  # a reply still waiting ends now
        httpd.shutdown()
        httpd.server_close()


def env_for(endpoint: Scripted) -> dict[str, str]:
    """The settings that point an `assistant` process's openai backend at the endpoint."""
    return {
        "ASSISTANT_LLM": "openai",
        "ASSISTANT_OPENAI_BASE_URL": endpoint.url,
        "ASSISTANT_OPENAI_API_KEY": "not-needed",
        "ASSISTANT_LLM_MODEL": "scripted",
        "ASSISTANT_OPENAI_MAX_RETRIES": "0",
        # the answer is compared with CHECKED word for word: without the date sentence dated answers end with (its
        # stream is tested in tests/test_dated.py)
        "ASSISTANT_DATE_ANSWERS": "false",
    }
