"""What flows between the pipeline stages: Document → Chunk → Passage → Answer (with Citations)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, NamedTuple

MONTHS = "January February March April May June July August September October November December".split()


def published_day(published_at: str) -> date | None:
    """The day a stored ``published_at`` names ("2023-11-18T10:00:00+00:00" → 2023-11-18); None when there is none."""
    try:
        return date.fromisoformat(str(published_at or "").strip()[:10])
    except ValueError:
        return None


def day_in_words(published_at: str) -> str:
    """ "2023-11-18..." → "18 November 2023", the day as a dated answer says it (no locale, no 11/12 ambiguity); ""
    when there is no date."""
    d = published_day(published_at)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}" if d else ""


@dataclass
class Document:
    """One article as loaded from a file or a news record."""

    doc_id: str
    title: str
    text: str
    path: str  # the file it came from (absolute), or "" when added from Python
    content_hash: str
    source: str = ""
    published_at: str = ""  # ISO date or datetime as given
    url: str = ""
    author: str = ""
    category: str = ""

    def metadata(self) -> dict[str, Any]:
        """The document's fields as Chroma metadata; its chunks carry these and their own (``chunk.metadata_of``)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "content_hash": self.content_hash,
            "source": self.source,
            "published_at": self.published_at,
            "url": self.url,
            "author": self.author,
            "category": self.category,
        }


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    start_char: int
    end_char: int
    metadata: dict[str, Any]


class Hit(NamedTuple):
    """One ranked chunk from a retriever (dense or BM25), before fusion numbers it as a Passage."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    value: float  # cosine distance (dense) or BM25 score (sparse)


@dataclass
class Passage:
    """A retrieved chunk, numbered as the LLM sees it."""

    n: int
    chunk_id: str
    doc_id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.metadata.get("title", "")

    def to_search_json(self) -> dict[str, Any]:
        """A search result (HTTP /v1/search, MCP search): the passage with where and when it was published."""
        m = self.metadata
        return {
            **self.to_json(),
            "source": m.get("source", ""),
            "published_at": m.get("published_at", ""),
            "url": m.get("url", ""),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "score": round(self.score, 6),
            "text": self.text,
        }


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    published_at: str
    url: str
    text: str
    as_of: str = ""  # the day it was published, as the answer says it ("18 November 2023"); "" when undated

    @classmethod
    def from_passage(cls, p: Passage) -> Citation:
        m = p.metadata
        return cls(
            n=p.n,
            doc_id=p.doc_id,
            title=m.get("title", ""),
            source=m.get("source", ""),
            published_at=m.get("published_at", ""),
            url=m.get("url", ""),
            text=p.text,
            as_of=day_in_words(m.get("published_at", "")),
        )


@dataclass
class SentenceCheck:
    """One sentence of the answer as the verifier judged it; it travels on the Answer so later stages only read it."""

    text: str  # as shown, with its citations
    claim: str  # what was checked: no citation markers, no leading "Yes,"
    cited: list[int]
    supported: bool
    reason: str = ""  # why not, in words (shown by --explain and the eval report)
    check: str = ""  # the name of the check that failed: citation, numbers, quote, unit, entity, similarity
    similarity: float = 0.0
    repaired_from: list[int] | None = None  # the citations the model gave, when the verifier moved them
    evidence: dict[int, str] = field(default_factory=dict)  # cited passage n → its sentence that best matches

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "cited": self.cited,
            "supported": self.supported,
            "reason": self.reason,
            "check": self.check,
            "repaired_from": self.repaired_from,
            "evidence": [{"n": n, "text": t} for n, t in self.evidence.items()],
        }


@dataclass
class AnswerCheck:
    """The verdict on whether the answer answers the question; travels on the Answer."""

    check: str = ""  # the failed check's name, "" when it passed
    reason: str = ""
    retried_with: list[int] = field(default_factory=list)  # passages the second answer was given
    first_answer: str = ""  # the answer that failed, when answered again or withheld

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "reason": self.reason,
            "retried_with": self.retried_with,
            "first_answer": self.first_answer,
        }


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    passages: list[Passage]
    unsupported: list[str]
    model: str
    timings_ms: dict[str, float]
    sentences: list[SentenceCheck] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # citation numbers removed: no such passage
    withheld: bool = False  # refused because no sentence of the model's answer was supported
    # does the answer answer the question (asked.py): the failed check, and how it was acted on
    answer_check: AnswerCheck = field(default_factory=AnswerCheck)
    # a question across articles: its sources, dates, sub-queries and the passages each brought (answer/plan.py)
    plan: Any = None
    method: str = ""  # how the answer was made when not simply generated: decided in code / by a narrow question
    # tokens of the prompt and of the generated text, as OpenAI's usage, and how they were counted (answer/usage.py)
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> str:
        """The newest day its cited evidence was published (YYYY-MM-DD); "" when none of it is dated."""
        days = [d for d in (published_day(c.published_at) for c in self.citations) if d is not None]
        return max(days).isoformat() if days else ""

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.plan is not None:
            extra["plan"] = {**self.plan.to_json(), "method": self.method}
        elif self.method:
            extra["method"] = self.method
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [asdict(c) for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "unsupported": list(self.unsupported),
            "as_of": self.as_of,
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "sentences": [c.to_json() for c in self.sentences],
            "dropped": list(self.dropped),
            "answer_check": self.answer_check.to_json(),
            "usage": dict(self.usage),
            **extra,
        }
