"""The Python API: ``Assistant`` runs load → chunk → embed → store → retrieve → prompt → generate → verify.

Backends are built lazily, so listing sources does not load a model and ``ask`` loads each model once per process.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Callable, Iterator

from .backends import Backends
from .errors import AssistantError, EmptyIndexError, InputError, NotFoundError
from .index.retrieve import Budget, Filters
from .index.writer import IndexWriter, IngestReport  # IngestReport: what ingest and add_documents return
from .settings import Settings, check_setting_names, load_settings
from .answer.query import Query, check_question_length
from .types import Answer, Document, Passage

if TYPE_CHECKING:
    from .answer.answerer import Answerer
    from .answer.housekeeping import SmallTalk
    from .answer.plan import Plan
    from .index.retrieve import Retriever
    from .index.store import Store


class Assistant:
    """The pipeline. ``backends`` (models, built on first use) may be passed in and shared; the store and the
    retriever belong to this Assistant's data dir and collection."""

    def __init__(self, settings: Settings | None = None, backends: Backends | None = None, **overrides):
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            check_setting_names(overrides)
            settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
        self.settings = settings
        if backends is not None and backends.compatible(settings):
            raise ValueError(
                f"these backends were built for other model settings: {', '.join(backends.compatible(settings))}"
            )
        self.backends = backends or Backends(settings)
        self._store: Store | None = None
        self._retriever: Retriever | None = None
        self._sources: tuple[tuple, list[str]] | None = None  # (store stamp, indexed sources)
        self._answerer: Answerer | None = None
        self._small_talk: SmallTalk | None = None

    def derive(self, **overrides) -> Assistant:
        """Another Assistant (another data dir, collection or Chroma server) sharing this one's models."""
        check_setting_names(overrides)
        return Assistant(self.settings.model_copy(update=overrides), backends=self.backends)

    @property
    def embedder(self):
        return self.backends.embedder

    @property
    def generator(self):
        return self.backends.generator

    @property
    def verifier(self):
        return self.backends.verifier

    @property
    def store(self) -> Store:
        if self._store is None:
            from .index.store import Store

            self._store = Store(self.settings, self.settings.embed_model_name)
        return self._store

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            from .index.retrieve import Retriever

            self._retriever = Retriever(self.store, self.embedder, self.settings)
        return self._retriever

    # ---- indexing (index/writer.py: load, chunk, embed, write)
    def writer(self) -> IndexWriter:
        """What writes into this Assistant's store, with its embedder (built only when something is written)."""
        return IndexWriter(self.store, lambda texts: self.embedder.embed(texts), self.settings, self.refresh_index)

    def ingest(self, paths: list[str | Path], progress: Callable[[float, int], None] | None = None) -> IngestReport:
        """Index files and directories (``IndexWriter.ingest``): bad files and records are reported and skipped,
        nothing already indexed is lost, and an id indexed from another file for another article is refused."""
        return self.writer().ingest(paths, progress)

    def loader(self):
        """A ``Loader`` (ingest/load.py) with this Assistant's limits: give it files, stdin, a request's records or
        uploads, then ``write`` it. Every way in goes through it: the same rules for bad files, bad records, ids."""
        return self.writer().loader()

    def write(self, loader, progress: Callable[[float, int], None] | None = None) -> IngestReport:
        """Write what ``loader`` loaded (``IndexWriter.write``): an id indexed from another source for another
        article is refused by name, never overwritten."""
        return self.writer().write(loader, progress)

    def refresh_index(self) -> None:
        """Rebuild the BM25 index of all chunks now and keep it beside the store (after a write), so the next
        question, in this process or a fresh one, does not pay for it."""
        if self.store.count():
            self.retriever.bm25(None)

    def add_documents(
        self,
        docs: list[Document],
        progress: Callable[[float, int], None] | None = None,
        batch_chunks: int | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Chunk, embed and store documents (``IndexWriter.add_documents``); unchanged ones are left alone, then
        (``refresh``) the BM25 index is rebuilt. ``progress(done, total)`` counts documents."""
        strange = next((d for d in docs if not isinstance(d, Document)), None)
        if strange is not None:
            hint = (
                "llama-index Documents go in with assistant.llama_index.ingest_documents(assistant, docs)"
                if type(strange).__module__.startswith("llama_index")
                else "build them with assistant.Document(...), or ingest files"
            )
            raise InputError(f"add_documents takes assistant Documents, not {type(strange).__name__}: {hint}")
        return self.writer().add_documents(docs, progress, batch_chunks, refresh)

    def sources(self) -> list[dict]:
        return self.store.documents()

    def remove(self, doc_id: str) -> int:
        removed = self.store.delete_document(doc_id)
        if not removed:
            raise NotFoundError(f"no document with id '{doc_id}'; `assistant sources` lists the ids")
        return removed

    def info(self) -> dict:
        from .answer.models import KNOWN_MODELS

        docs = self.sources()
        s = self.settings
        llm_model = str(s.llm_model_path) if s.llm_model_path else s.llm_model
        if s.llm == "local" and not s.llm_model_path and s.llm_model in KNOWN_MODELS:
            llm_model = f"{s.llm_model} ({s.cache_dir / 'models' / KNOWN_MODELS[s.llm_model].filename})"
        return {
            "data_dir": str(s.data_dir),
            "store": self.store.location,
            "collection": s.collection,
            "embedder": f"{s.embed_backend}:{s.embed_model_name}",
            "llm": f"{s.llm}:{llm_model}" if s.llm != "extractive" else "extractive",
            "openai_base_url": s.openai_base_url or None,
            "documents": len(docs),
            "chunks": sum(d["chunks"] for d in docs),
            "k": s.k,
        }

    # ---- answering: retrieve → prompt → generate → verify, each stage entered once
    def budget(self, k: int | None = None) -> Budget:
        """How many passages go in the prompt (see ``Budget``): at least k from the settings, or exactly ``k``."""
        return Budget.of(self.settings, k)

    def retrieve(
        self, question: str, k: int | None = None, filters: Filters | None = None, recent: bool = False
    ) -> list[Passage]:
        """The top ``k`` passages (default: the settings' k), numbered from 1; ``recent``: the question asks for the
        newest state of things (``Query.recent``), and newer passages rank first among the relevant ones."""
        if not question.strip():
            raise AssistantError("the question is empty; ask something")
        check_question_length(question, self.settings.max_question_chars)
        if self.store.count() == 0:
            raise EmptyIndexError(
                f"nothing is indexed in {self.settings.data_dir}; run `assistant ingest seeds/` (or any files) first"
            )
        if filters is not None and filters.active():
            from .index.retrieve import resolve_filters

            filters = resolve_filters(self.store, filters)  # the source matched case-insensitively
        return self.retriever.retrieve(question, k or self.settings.k, filters, recent)

    def check_filters(self, filters: Filters | None) -> None:
        """Raise NoMatchError ("the filters (...) matched 0 of N chunks; M of D documents have no date; ...") when the
        filters match nothing indexed (retrieve would find nothing, and ask would refuse)."""
        if filters is not None and filters.active() and self.store.count():
            from .index.retrieve import resolve_filters

            resolve_filters(self.store, filters, strict=True)

    def read(self, question: str | Query, history: list[tuple[str, str]] | None = None) -> Query:
        """The question read once (``answer/query.py``): its standalone form (a follow-up is rewritten from the last
        (question, answer) turn), what the generator reads, and its plan across the indexed sources. A Query comes
        back as it is."""
        if isinstance(question, Query):
            return question
        return Query.read(question, history, self.known_sources() if self.store.count() else None)

    def standalone(self, question: str, history: list[tuple[str, str]] | None) -> str:
        """A follow-up ("and how many Russian troops?", "how far can it fly?") rewritten into a question that stands
        on its own, from the last (question, answer) turn; a standalone question comes back as it is."""
        from .answer.followup import rewrite

        return rewrite(question, *history[-1]) if history else question

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
        status: Callable[[str], None] | None = None,
        style: str = "",
    ) -> Answer:
        return last_answer(self.ask_stream(question, k, filters, history, status, style))

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
        status: Callable[[str], None] | None = None,
        style: str = "",
    ) -> Iterator[str | Answer]:
        """Yields the checked answer's text as it may be shown (each sentence once its citations are checked; the
        whole text at once when the question asks for a kind of value: ``Answerer.stream``), then the Answer; the
        texts joined are ``Answer.answer``. ``status`` (optional) is told each stage as it starts: "retrieving",
        "loading the language model" (first use in a process), "generating", "checking citations". ``style``: the
        reader's preference for the answer's form (language, length, tone), under the grounding rules."""
        started = time.perf_counter()
        aside = self.housekeeping(question, history)
        if aside is not None:  # not a question about the articles: a short reply, no retrieval
            yield aside.answer
            yield aside
            return
        if status:
            status("retrieving")
        query = self.read(question, history)
        passages = self.passages_for(query, k, filters)
        yield from self.answerer.stream(query, passages, started=started, status=status, style=style)

    def housekeeping(self, request: str, history: list[tuple[str, str]] | None = None) -> Answer | None:
        """A request that is not a question about the articles — a chat UI's task about the conversation (a title,
        tags, follow-ups, search queries) or small talk (hi, thanks, what can you do?) — answered with a short reply,
        without retrieval or generation (``answer/housekeeping.py``); None for a question."""
        from .answer.housekeeping import SmallTalk, small_talk_reply, ui_task

        t0 = time.perf_counter()
        task = ui_task(request, history or [])
        if task is not None:
            kind, text = f"a chat UI's {task.kind} request", task.text
        else:
            if self._small_talk is None:
                self._small_talk = SmallTalk(self.backends.sentence_embedder.embed)
            indexed = self.store.count() > 0

            def best_passage(vector: list[float]) -> float:
                return max((1.0 - h.value for h in self.retriever.dense(vector, 3, None)), default=0.0)

            said, _ = self._small_talk.kind(request, best_passage if indexed else None)
            if not said:
                return None
            documents = len(self.sources()) if indexed else 0
            kind, text = said, small_talk_reply(said, documents, self.known_sources() if indexed else [])
        return Answer(
            question=request,
            answer=text,
            refused=False,
            citations=[],
            passages=[],
            unsupported=[],
            model="housekeeping",
            timings_ms={"total": (time.perf_counter() - t0) * 1000},
            method=f"housekeeping: {kind}, answered without retrieval",
            usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "counted": "nothing generated"},
        )

    def passages_for(
        self,
        question: str | Query,
        k: int | None = None,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> list[Passage]:
        """What goes in the prompt for this question: retrieved (a follow-up as the standalone question it stands
        for; per named source, see ``rank``), then cut to the budget."""
        budget = self.budget(k)
        return budget.select(self.rank(self.read(question, history), budget.k_max, filters))

    def known_sources(self) -> list[str]:
        """The sources of the indexed documents (what a question's source names are matched against)."""
        stamp = self.store.stamp()  # changes with any write, by this process or another
        if self._sources is None or self._sources[0] != stamp:
            self._sources = (stamp, sorted({str(d.get("source") or "") for d in self.sources()} - {""}))
        return self._sources[1]

    def plan(self, question: str) -> Plan:
        """What the question names (indexed sources, their dates, the part about each; sources nothing indexed is
        from) and the kind of answer it asks for (see ``assistant/answer/plan.py``)."""
        from .answer.plan import make_plan

        return make_plan(question, self.known_sources())

    def rank(self, question: str | Query, n: int, filters: Filters | None = None) -> list[Passage]:
        """The top ``n`` passages for a question. One that names its sources ("according to The Verge and
        TechCrunch", "the Sporting News article published on October 2, 2023") is also retrieved per named source,
        as a sub-query filtered to that source (and date, when that finds anything), and the rankings merged
        (``index/fusion.py``) so each named source contributes; explicit filters mean one plain retrieval."""
        query = self.read(question)
        main = self.retrieve(query.standalone, n, filters, recent=query.recent)
        if (filters is not None and filters.active()) or query.plan is None or not query.plan.across():
            return main
        from .index.fusion import per_source

        return per_source(self.retriever, main, query.plan.subqueries, n)

    @property
    def answerer(self) -> Answerer:
        """Prompt → generate → the steps after it (``answer/answerer.py``), over this Assistant's backends."""
        if self._answerer is None:
            from .answer.answerer import Answerer

            self._answerer = Answerer(self.backends, self.settings)
        return self._answerer

    def answer(
        self,
        question: str | Query,
        passages: list[Passage],
        history: list[tuple[str, str]] | None = None,
        started: float | None = None,
        style: str = "",
    ) -> Answer:
        """Answer from these passages (already retrieved and numbered); ``started`` (a ``time.perf_counter()``)
        counts the retrieval that found them into the timings."""
        return last_answer(self.answer_stream(question, passages, history, started, style=style))

    def answer_stream(
        self,
        question: str | Query,
        passages: list[Passage],
        history: list[tuple[str, str]] | None = None,
        started: float | None = None,
        status: Callable[[str], None] | None = None,
        style: str = "",
    ) -> Iterator[str | Answer]:
        query = self.read(question, history)
        yield from self.answerer.stream(query, passages, started=started, status=status, style=style)


def last_answer(items: Iterator[str | Answer]) -> Answer:
    answer = None
    for item in items:
        if isinstance(item, Answer):
            answer = item
    if answer is None:
        raise RuntimeError("the pipeline ended without an Answer")
    return answer
