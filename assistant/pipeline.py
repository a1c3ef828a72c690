"""The Python API: ``Assistant`` runs load → chunk → embed → store → retrieve → prompt → generate → verify.

Backends are built lazily, so listing sources does not load a model and ``ask`` loads each model once per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import AssistantError, EmptyIndexError
from .retrieve import Filters
from .settings import Settings, load_settings
from .types import Answer, Citation, Document, Passage


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # doc ids
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # older versions replaced by a changed file
    chunks: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # files of unsupported types found inside directories


class Assistant:
    def __init__(self, settings: Settings | None = None, **overrides):
        self.settings = settings or load_settings(**overrides)
        self._embedder = self._store = self._retriever = self._generator = self._verifier = None
        self._parent: Assistant | None = None

    def derive(self, **overrides) -> "Assistant":
        """Another Assistant (e.g. another data dir or collection) sharing this one's models, loaded once, whichever
        of the two uses them first."""
        shared = {"llm", "llm_model", "llm_model_path", "embed_backend", "embed_model", "openai_base_url"}
        if shared & set(overrides):
            raise ValueError(f"derive() shares the models: it cannot change {sorted(shared & set(overrides))}")
        other = Assistant(self.settings.model_copy(update=overrides))
        other._parent = self
        return other

    # ---- backends, built on first use
    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import make_embedder

            self._embedder = self._parent.embedder if self._parent else make_embedder(self.settings)
        return self._embedder

    @property
    def store(self):
        if self._store is None:
            from .store import Store

            self._store = Store(self.settings, self.settings.embed_model_name)
        return self._store

    @property
    def retriever(self):
        if self._retriever is None:
            from .retrieve import Retriever

            self._retriever = Retriever(self.store, self.embedder, self.settings)
        return self._retriever

    @property
    def generator(self):
        if self._generator is None:
            from .generate import make_generator

            self._generator = self._parent.generator if self._parent else make_generator(self.settings, self.embedder)
        return self._generator

    @property
    def verifier(self):
        if self._verifier is None:
            from .verify import Verifier

            self._verifier = self._parent.verifier if self._parent else \
                Verifier(self.embedder, self.settings.verify_similarity_floor)
        return self._verifier

    # ---- indexing
    def ingest(self, paths: list[str | Path], progress: Callable[[int, int], None] | None = None) -> IngestReport:
        """Index files and directories. Bad files are reported and skipped; nothing already indexed is lost."""
        from .load import load_paths

        start = time.perf_counter()
        loaded = load_paths([Path(p) for p in paths])
        report = self.add_documents(loaded.documents, progress=progress)
        report.errors = loaded.errors
        report.skipped = [str(p) for p in loaded.skipped]
        report.files = len(loaded.files)
        # a changed file replaces its old documents: drop what a file held before and no longer holds
        fresh: dict[str, set[str]] = {}
        for doc in loaded.documents:
            fresh.setdefault(doc.path, set()).add(doc.doc_id)
        for path, ids in fresh.items():
            for old_id in sorted(self.store.doc_ids_for_path(path) - ids):
                self.store.delete_document(old_id)
                report.removed.append(old_id)
        report.seconds = time.perf_counter() - start
        return report

    def add_documents(self, docs: list[Document], progress: Callable[[int, int], None] | None = None,
                      batch_chunks: int = 64) -> IngestReport:
        from .chunk import Chunker

        report = IngestReport()
        existing = self.store.content_hashes([d.doc_id for d in docs])
        todo = []
        for doc in docs:
            if existing.get(doc.doc_id) == doc.content_hash:
                report.unchanged.append(doc.doc_id)
            else:
                todo.append(doc)
        chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)
        pending: list[tuple[Document, list]] = []
        done = 0
        if progress:  # the real total from the start, before the first (slow) embedding batch
            progress(0, len(todo))

        def flush():
            nonlocal done
            chunks = [c for _, cs in pending for c in cs]
            vectors = self.embedder.embed([c.text for c in chunks])
            offset = 0
            for doc, cs in pending:
                self.store.replace_document(doc, cs, vectors[offset:offset + len(cs)])
                offset += len(cs)
                (report.updated if doc.doc_id in existing else report.added).append(doc.doc_id)
            report.chunks += len(chunks)
            done += len(pending)
            pending.clear()
            if progress:
                progress(done, len(todo))

        for doc in todo:
            pending.append((doc, chunker.split(doc)))
            if sum(len(cs) for _, cs in pending) >= batch_chunks:
                flush()
        if pending:
            flush()
        return report

    def sources(self) -> list[dict]:
        return self.store.documents()

    def remove(self, doc_id: str) -> int:
        removed = self.store.delete_document(doc_id)
        if not removed:
            raise AssistantError(f"no document with id '{doc_id}'; `assistant sources` lists the ids")
        return removed

    def info(self) -> dict:
        from .models import KNOWN_MODELS

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

    # ---- answering
    def select(self, ranked: list[Passage], k: int | None = None) -> list[Passage]:
        """What goes in the prompt: at least k passages, more short ones while they fit the context budget."""
        from .retrieve import select_passages

        k = k or self.settings.k
        return select_passages(ranked, k, max(k, self.settings.k_max), self.settings.context_tokens)

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        if not question.strip():
            raise AssistantError("the question is empty; ask something")
        if self.store.count() == 0:
            raise EmptyIndexError(f"nothing is indexed in {self.settings.data_dir}; "
                                  "run `assistant ingest seeds/` (or any files) first")
        if filters is not None and filters.active():
            from .retrieve import resolve_filters

            filters = resolve_filters(self.store, filters)  # the source matched case-insensitively
        return self.retriever.retrieve(question, k, filters)

    def check_filters(self, filters: Filters | None) -> None:
        """Raise NoMatchError ("the filters (...) matched 0 of N chunks; M of D documents have no date; ...") when the
        filters match nothing indexed (retrieve would find nothing, and ask would refuse)."""
        if filters is not None and filters.active() and self.store.count():
            from .retrieve import resolve_filters

            resolve_filters(self.store, filters, strict=True)

    def standalone(self, question: str, history: list[tuple[str, str]] | None) -> str:
        """A follow-up ("and how many Russian troops?", "how far can it fly?") rewritten into a question that stands
        on its own, from the last (question, answer) turn; a standalone question comes back as it is."""
        from .followup import rewrite

        return rewrite(question, *history[-1]) if history else question

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            history: list[tuple[str, str]] | None = None, passages: list[Passage] | None = None,
            status: Callable[[str], None] | None = None) -> Answer:
        answer = None
        for item in self.ask_stream(question, k, filters, history, passages, status=status):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(self, question: str, k: int | None = None, filters: Filters | None = None,
                   history: list[tuple[str, str]] | None = None,
                   passages: list[Passage] | None = None,
                   status: Callable[[str], None] | None = None) -> Iterator[str | Answer]:
        """Yields the answer's text as it is generated, then the verified Answer. ``status`` (optional) is told each
        stage as it starts: "retrieving", "loading the language model" (first use in a process), "generating",
        "checking citations"."""
        from .prompt import build_prompt

        say = status or (lambda stage: None)
        t0 = time.perf_counter()
        # a follow-up is retrieved as the question it stands for; the generator, which also sees the earlier turn,
        # reads "and how many Russian troops?" as "How many Russian troops?" (followup.asked_for_generation)
        standalone = self.standalone(question, history)
        if history:
            from .followup import asked_for_generation

            question = asked_for_generation(question, *history[-1])
        if passages is None:
            say("retrieving")
            k = k or self.settings.k
            passages = self.select(self.retrieve(standalone, max(k, self.settings.k_max), filters), k)
        t1 = time.perf_counter()
        prompt = build_prompt(self.settings.prompts_dir, question, passages, history)
        if not passages:
            raw = prompt.refusal
            yield raw
        else:
            if self._generator is None and (self._parent is None or self._parent._generator is None):
                say("loading the language model")
                load = getattr(self.generator, "llm", None)  # the local backend loads its weights lazily
                if callable(load):
                    load()
            say("generating")
            pieces = []
            for piece in self.generator.stream(prompt):
                pieces.append(piece)
                yield piece
            raw = "".join(pieces).strip()
        t2 = time.perf_counter()
        say("checking citations")
        verification = self.verifier.verify(raw, {p.n: p.text for p in passages}, prompt.refusal,
                                            question=standalone,
                                            withhold_unsupported=self.settings.refuse_unsupported)
        by_n = {p.n: p for p in passages}
        t3 = time.perf_counter()
        yield Answer(
            question=standalone,
            answer=verification.answer,
            refused=verification.refused,
            citations=[Citation.from_passage(by_n[n]) for n in sorted(verification.cited)],
            passages=passages,
            unsupported=verification.unsupported,
            model=self.generator.name if passages else "none",
            timings_ms={"retrieve": (t1 - t0) * 1000, "generate": (t2 - t1) * 1000, "verify": (t3 - t2) * 1000,
                        "total": (t3 - t0) * 1000},
        )
