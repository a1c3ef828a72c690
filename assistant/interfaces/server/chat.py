"""Chat completions in OpenAI's shapes: the conversation read from the messages, the verified answer with its sources
block, and the answer streamed as server-sent chunks (then the checked answer, then ``[DONE]``)."""

from __future__ import annotations

import json
import time
import uuid

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from ...errors import AssistantError
from ...text.dates import source_and_day
from .shapes import MODEL_ID, ChatMessage, ChatRequest, error_body, status_for


def sources_block(answer) -> str:
    """A short sources list under the answer: [n] title — source, date (url)."""
    if answer.refused and answer.unsupported:
        from ..present import withheld_why

        return f"\n\n(The model's answer was withheld: {withheld_why(answer)}.)"
    if answer.refused or not answer.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in answer.citations:
        where = source_and_day(c.source, c.published_at)
        lines.append(
            f"[{c.n}] {c.title or 'Untitled'}" + (f" — {where}" if where else "") + (f" ({c.url})" if c.url else "")
        )
    if answer.unsupported:
        lines.append("Not supported by the cited passages: " + " ".join(answer.unsupported))
    return "\n".join(lines)


def extras(answer) -> dict:
    data = answer.to_json()
    return {"citations": data["citations"], "refused": data["refused"], "unsupported": data["unsupported"]}


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message is the question; earlier user → assistant pairs are the history (sources blocks cut)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise HTTPException(422, "messages hold no user message; the last user message is the question")
    last = users[-1]
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in messages[:last]:
        if m.role == "user":
            pending = m.text().strip()
        elif m.role == "assistant" and pending:
            history.append((pending, m.text().split("\n\nSources:")[0].split("\n\n(The model's answer")[0].strip()))
            pending = None
    return messages[last].text(), history[-3:]


def completion(answer, body: ChatRequest) -> dict:
    """A whole chat completion: the verified answer and its sources block, with the extra fields."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model or MODEL_ID,
        "system_fingerprint": answer.model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": answer.answer + sources_block(answer)},
            }
        ],
        **extras(answer),
    }


async def stream_chat(service, question: str, body: ChatRequest, history: list[tuple[str, str]]):
    """The answer as server-sent chunks: each piece as it is generated, then what the check changed and the sources
    (with the extra fields), then ``[DONE]``; an error once the headers are sent goes in the stream."""
    from sse_starlette.sse import EventSourceResponse

    from ...types import Answer

    started = time.perf_counter()
    passages = await run_in_threadpool(service.passages, question, body, history)
    await service.acquire()
    t0 = time.perf_counter()
    items = service.a.answer_stream(question, passages, history, started)
    try:  # the first piece before the response starts: an error still gets its status code
        first = await run_in_threadpool(next, items)
    except BaseException:
        items.close()
        service.release()
        raise
    cid, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.model or MODEL_ID

    def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
        return {
            "data": json.dumps(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                    **extra,
                },
                ensure_ascii=False,
            )
        }

    async def events():
        streamed: list[str] = []
        final = None
        try:
            yield chunk({"role": "assistant", "content": ""})
            item = first
            while True:
                if isinstance(item, Answer):
                    final = item
                    break
                streamed.append(item)
                yield chunk({"content": item})
                item = await run_in_threadpool(next, items, None)
                if item is None:
                    break
            tail = ""
            if final is not None:
                said = "".join(streamed).strip()
                if final.refused and final.unsupported:
                    tail = f"\n\n{final.answer}"
                elif " ".join(final.answer.split()).startswith(" ".join(said.split()) + " ") and said:
                    tail = " " + " ".join(final.answer.split())[len(" ".join(said.split())) :].strip()  # its date
                elif final.answer.strip() != said:
                    tail = f"\n\nChecked answer (citations verified): {final.answer}"
                tail += sources_block(final)
            yield chunk(
                {"content": tail} if tail else {},
                "stop",
                **(extras(final) if final else {}),
                system_fingerprint=final.model if final else None,
            )
            yield {"data": "[DONE]"}
        except AssistantError as err:  # headers are sent: the error goes in the stream, as OpenAI does
            yield {"data": json.dumps(error_body(str(err), "invalid_request_error", status_for(err)))}
        finally:
            items.close()
            service.release(time.perf_counter() - t0)

    return EventSourceResponse(events(), ping=15, sep="\n")  # OpenAI frames events with \n\n
