"""The service: one shared Assistant behind gates. Generations go through ``gate`` (one at a time for the local
model; a request that waits longer than ``queue_timeout`` gets ``Busy``), retrieval runs outside it, ingests are
serialised among themselves."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from .shapes import Busy, FilterFields, ServerConfig


class Service:
    """The shared Assistant with its gates: generations through ``gate``, ingests one at a time."""

    def __init__(self, assistant, config: ServerConfig):
        self.a = assistant
        self.config = config
        slots = config.generation_slots or (1 if assistant.settings.llm == "local" else 4)
        self.slots = slots
        self.gate = asyncio.Semaphore(slots)
        self.waiting = 0
        self.ingest_lock = threading.Lock()
        self.generate_seconds = 1.0  # moving average, for Retry-After

    def warm(self) -> None:
        """Build every backend once, before requests arrive (the lazy properties are not built concurrently)."""
        from ..warm import warm_up

        warm_up(self.a)

    def retry_after(self) -> int:
        return max(1, min(600, math.ceil(self.generate_seconds * (self.waiting + 1) / self.slots)))

    async def acquire(self) -> None:
        self.waiting += 1
        try:
            await asyncio.wait_for(self.gate.acquire(), timeout=self.config.queue_timeout)
        except TimeoutError:
            raise Busy(self.retry_after()) from None
        finally:
            self.waiting -= 1

    def release(self, seconds: float | None = None) -> None:
        if seconds is not None:
            self.generate_seconds = 0.8 * self.generate_seconds + 0.2 * seconds
        self.gate.release()

    def check_question(self, text: str, what: str = "question") -> str:
        text = text.strip()
        if not text:
            raise HTTPException(422, f"the {what} is empty; ask something")
        if len(text) > self.config.max_question_chars:
            raise HTTPException(
                422, f"the {what} is {len(text)} characters long; the limit is {self.config.max_question_chars}"
            )
        return text

    def passages(self, question: str, fields: FilterFields, history: list[tuple[str, str]]):
        """Retrieval, outside the generation gate: an explicit k means exactly k passages, as on the command line."""
        return self.a.passages_for(question, fields.k, fields.filters(), history)

    async def answer(
        self, question: str, fields: FilterFields, history: list[tuple[str, str]], style: str = "", aside: bool = True
    ):
        """The Answer; a request that is not a question about the articles gets its housekeeping reply instead (unless
        ``aside`` is False: the caller asked already)."""
        reply = await run_in_threadpool(self.a.housekeeping, question, history) if aside else None
        if reply is not None:
            return reply
        t0 = time.perf_counter()
        passages = await run_in_threadpool(self.passages, question, fields, history)
        await self.acquire()
        t1 = time.perf_counter()
        try:
            answer = await run_in_threadpool(self.a.answer, question, passages, history, t0, style)
        finally:
            self.release(time.perf_counter() - t1)
        return answer

    def ingest_records(self, records: list[Any]):
        """A request's records, with the command line's rules (``Loader.records``, then ``Assistant.write``)."""
        return self._write(self.a.loader().records(records, "api"))

    def ingest_files(self, uploads: list[tuple[str, bytes]]):
        """Uploaded files, each read as the file of its name's type (``Loader.uploads``); a bad one is reported by its
        name and the good ones are indexed."""
        return self._write(self.a.loader().uploads(uploads))

    def _write(self, loader):
        files = len(loader.result.files)
        if not loader.result.documents:
            return None, loader.result.errors, files
        with self.ingest_lock:
            report = self.a.write(loader)
        if not (report.added or report.updated or report.unchanged):
            return None, report.errors, files
        return report, report.errors, files
