"""`--judge llm` through an OpenAI-compatible endpoint (a local HTTP server speaking the chat-completions protocol,
streamed, whose "model" follows a fixed rule), measured on the shipped labelled pairs beside the heuristic judge."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.eval.judges import calibration_pairs
from assistant.resources import claims_file

from conftest import write_jsonl
from test_eval_answers import ok, summary

CAPITALISED_OR_NUMBER = re.compile(r"\b(?:[A-Z][a-z]+|\d[\d,.]*)\b")


def rule_supported(claim: str, passages: str) -> bool:
    """The fake model's verdict: every number and capitalised word of the claim occurs in the passages."""
    return all(word in passages for word in CAPITALISED_OR_NUMBER.findall(claim)[1:])


def reply_to(prompt: str) -> str:
    if prompt.startswith("You check whether a claim is supported"):
        passages = prompt.split("Passages:", 1)[1].split("\nClaim: ", 1)[0]
        claim = prompt.split("\nClaim: ", 1)[1].split("\n\nVerdict:", 1)[0]
        return "SUPPORTED" if rule_supported(claim, passages) else "NOT_SUPPORTED"
    if prompt.startswith("Break the answer below into short"):
        answer = prompt.split("Answer: ", 1)[1].split("\n\nClaims:", 1)[0]
        return "\n".join(s.strip() for s in re.split(r"(?<=\.)\s+", answer) if s.strip()) or "NONE"
    return "I do not know."


class ChatCompletions(BaseHTTPRequestHandler):
    calls = 0

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls += 1
        text = reply_to(body["messages"][-1]["content"])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_an_llm_judge_through_an_endpoint_is_measured_beside_the_heuristic(tmp_path, endpoint, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint)
    answers = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "question": "Which family donated the atlas?",
                "answer": "The Quenby family donated it [1]. It came from Lisbon [1].",
                "contexts": ["The city library received a rare atlas donated by the Quenby family."],
                "gold": "Quenby",
            }
        ],
    )
    out = tmp_path / "run"
    ChatCompletions.calls = 0
    ok("--answers", answers, "--out", out, "--judge", "llm", "--llm", "openai", "--model", "rule-judge")
    s = summary(out)
    pairs = calibration_pairs(claims_file(), None)
    expected = sum(rule_supported(p["claim"], "\n".join(p["passages"])) == p["supported"] for p in pairs) / len(pairs)
    assert s["judge"] == "llm" and s["judge_n"] == len(pairs) == 44
    assert s["judge_accuracy"] == pytest.approx(expected)  # the endpoint's verdicts, counted
    beside = s["heuristic_judge"]
    assert beside["judge_n"] == 44 and 0 < beside["judge_accuracy"] <= 1
    # the answer judged by the endpoint: "Lisbon" is in no passage
    assert s["citation_recall"] == 0.5 and s["faithfulness"] == 0.5
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"judge `llm` (accuracy {s['judge_accuracy']:.3f}" in report
    assert f"the heuristic judge beside it: accuracy {beside['judge_accuracy']:.3f}" in report
    assert ChatCompletions.calls > 44
