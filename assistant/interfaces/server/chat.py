"""Chat completions in OpenAI's shapes: the conversation read from the messages, the verified answer with its sources
block, and the checked answer streamed as server-sent chunks (each sentence once its citations are checked; then the
sources and ``[DONE]``)."""

from __future__ import annotations

import json
import time
import uuid

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from ...errors import AssistantError
from ...text.dates import source_and_day
from ..present import url_citations
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


def usage(answer) -> dict:
    """OpenAI's usage, with how the tokens were counted beside (the generator's tokenizer, or an estimate)."""
    u = answer.usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "counted": "unknown"}
    return {k: u[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens", "counted") if k in u}


def system_text(messages: list[ChatMessage]) -> str:
    """What the system (or developer) messages say, joined."""
    return " ".join(m.text().strip() for m in messages if m.role in ("system", "developer") and m.text().strip())


async def chat_reply(service, body: ChatRequest):
    """A chat completion (streamed or whole). A request that is not a question about the articles (a chat UI's task,
    small talk) gets its short reply without retrieval; a system message's sentences about form (language, length,
    tone) go to the prompt as the reader's preference, under the grounding rules (``housekeeping.preference``)."""
    from ...answer.housekeeping import preference

    question, history = conversation(body.messages)
    aside = await run_in_threadpool(service.a.housekeeping, question.strip(), history)
    if aside is None:
        question = service.check_question(question)
    system = system_text(body.messages)
    style = preference(system) if system else ""
    if body.stream:
        return await stream_chat(service, question, body, history, aside, style)
    return completion(aside or await service.answer(question, body, history, style, aside=False), body)


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
                "message": {
                    "role": "assistant",
                    "content": answer.answer + sources_block(answer),
                    "refusal": None,
                    "annotations": url_citations(answer),
                },
            }
        ],
        "usage": usage(answer),
        **extras(answer),
    }


async def stream_chat(
    service, question: str, body: ChatRequest, history: list[tuple[str, str]], aside=None, style: str = ""
):
    """The answer as server-sent chunks: the checked answer as ``Answerer.stream`` releases it, then the sources
    (with the extra fields), then ``[DONE]``; an error once the headers are sent goes in the stream."""
    from sse_starlette.sse import EventSourceResponse

    from ...types import Answer

    started = time.perf_counter()
    gated = aside is None  # a housekeeping reply (``aside``) needs neither retrieval nor the generator
    if gated:
        passages = await run_in_threadpool(service.passages, question, body, history)
        await service.acquire()
        items = service.a.answer_stream(question, passages, history, started, style=style)
    else:
        items = iter([aside.answer, aside])
    t0 = time.perf_counter()

    def release() -> None:
        if gated:
            service.release(time.perf_counter() - t0)

    try:  # the first piece before the response starts: an error still gets its status code
        first = await run_in_threadpool(next, items)
    except BaseException:
        if gated:
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
        final = None
        try:
            yield chunk({"role": "assistant", "content": ""})
            item = first
            while True:
                if isinstance(item, Answer):
                    final = item
                    break
                yield chunk({"content": item})  # checked text only: the stream is the checked answer
                item = await run_in_threadpool(next, items, None)
                if item is None:
                    break
            last: dict = {}
            if final is not None:
                tail = sources_block(final)
                last = {"content": tail} if tail else {}
                last["annotations"] = url_citations(final)  # offsets into the whole streamed content
            yield chunk(
                last,
                "stop",
                **(extras(final) if final else {}),
                **({"usage": usage(final)} if final else {}),
                system_fingerprint=final.model if final else None,
            )
            yield {"data": "[DONE]"}
        except AssistantError as err:  # headers are sent: the error goes in the stream, as OpenAI does
            yield {"data": json.dumps(error_body(str(err), "invalid_request_error", status_for(err)))}
        finally:
            if gated:
                items.close()
            release()

    return EventSourceResponse(events(), ping=15, sep="\n")  # OpenAI frames events with \n\n
