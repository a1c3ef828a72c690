"""The Python API: ``Assistant`` runs load → chunk → embed → store → retrieve → prompt → generate → verify.

Backends are built lazily, so listing sources does not load a model and ``ask`` loads each model once per process.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Callable, Iterator

from .backends import Backends
from .errors import AssistantError, EmptyIndexError
from .index.retrieve import Budget, Filters
from .settings import Settings, check_setting_names, load_settings
from .types import Answer, AnswerCheck, Citation, Document, Passage

if TYPE_CHECKING:
    from .answer.plan import Plan, SubQuery
    from .index.retrieve import Retriever
    from .index.store import Store


INGEST_BATCH_CHUNKS = 512  # chunks embedded and written together (see add_documents)


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
    repaired: list[str] = field(default_factory=list)  # doc ids (also in added/updated) found incomplete and rewritten
    skipped: list[str] = field(default_factory=list)  # one line each: links out of a directory, pipes, devices
    unsupported: list[str] = field(default_factory=list)  # files of unsupported types found inside directories


def check_question_length(question: str, limit: int) -> None:
    """A question longer than the limit is refused, saying so (it would crowd the passages out of the model's
    context, or overflow it)."""
    if len(question) > limit:
        raise AssistantError(
            f"the question is {len(question):,} characters; the limit is {limit:,} "
            "(max_question_chars): shorten it, or raise ASSISTANT_MAX_QUESTION_CHARS"
        )


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
        self._sources: tuple[tuple[int, int], list[str]] | None = None  # (store stamp, indexed sources)

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

    # ---- indexing
    def ingest(self, paths: list[str | Path], progress: Callable[[float, int], None] | None = None) -> IngestReport:
        """Index files and directories. Bad files and bad records are reported and skipped; nothing already indexed
        is lost: a file with a bad record keeps what it held, and an id that is indexed from another file with
        different content is refused (naming both files), never overwritten."""
        from .ingest.load import load_paths

        start = time.perf_counter()
        loaded = load_paths(
            [Path(p) for p in paths],
            max_file_mb=self.settings.max_file_mb,
            follow_external_links=self.settings.follow_external_links,
        )
        docs, errors = self._refuse_foreign_ids(loaded.documents)
        accepted = {id(d) for d in docs}
        report = self.add_documents(docs, progress=progress, refresh=False)
        report.errors = loaded.errors + errors
        report.skipped = loaded.skipped
        report.unsupported = [str(p) for p in loaded.unsupported]
        report.files = len(loaded.files)
        # a changed file replaces its old documents: drop what a file held before and no longer holds (not for a
        # file with bad records or refused ids: what it held may be what the bad line was meant to update)
        keep = {str(p) for p in loaded.partial} | {d.path for d in loaded.documents if id(d) not in accepted}
        fresh: dict[str, set[str]] = {}
        for path, doc_id in [(d.path, d.doc_id) for d in loaded.documents]:
            fresh.setdefault(path, set()).add(doc_id)
        del docs, loaded  # their texts (a long file's is hundreds of MB) are not held beside the BM25 rebuild's
        for path, ids in fresh.items():
            if path in keep:
                continue
            for old_id in sorted(self.store.doc_ids_for_path(path) - ids):
                self.store.delete_document(old_id)
                report.removed.append(old_id)
        if report.chunks or report.removed:
            self.refresh_index()
        report.seconds = time.perf_counter() - start
        return report

    def refresh_index(self) -> None:
        """Rebuild the BM25 index of all chunks now and keep it beside the store (after a write), so the next
        question, in this process or a fresh one, does not pay for it."""
        if self.store.count():
            self.retriever.bm25(None)

    def _refuse_foreign_ids(self, docs: list[Document]) -> tuple[list[Document], list[str]]:
        """Documents whose id is already indexed from another file, with other content, are refused by name."""
        states = self.store.document_states([d.doc_id for d in docs if d.path])
        kept, errors = [], []
        for doc in docs:
            st = states.get(doc.doc_id)
            if st and doc.path and st["path"] and st["path"] != doc.path and st["hash"] != doc.content_hash:
                errors.append(
                    f"{doc.path}: id '{doc.doc_id}' is already indexed from {st['path']} for a different "
                    f"article; not replaced: give it its own id, or `assistant remove {doc.doc_id}` first"
                )
            else:
                kept.append(doc)
        return kept, errors

    def add_documents(
        self,
        docs: list[Document],
        progress: Callable[[float, int], None] | None = None,
        batch_chunks: int | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Chunk, embed and store documents; a document stored whole with the same content is left alone, one
        stored partly (a write cut short) or in another version is rewritten. Then (``refresh``) the BM25 index
        is rebuilt and saved. ``progress(done, total)`` counts documents; within a long one, ``done`` moves by the
        share of its text written. Chunks are embedded ``batch_chunks`` at a time: the embedder sorts a batch by
        length, and MultiHop's chunks (20 to 166 word pieces) embed at 71 chunks/s in batches of 64 against 120 in
        batches of 512 (padding)."""
        from .ingest.chunk import Chunker

        batch_chunks = batch_chunks or INGEST_BATCH_CHUNKS
        report = IngestReport()
        chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)
        states = self.store.document_states([d.doc_id for d in docs])
        todo: list[Document] = []
        for doc in docs:
            st = states.get(doc.doc_id)
            if st and st["hash"] == doc.content_hash:
                # complete; or written before n_chunks was recorded, with as many chunks as the chunker makes
                if st["complete"] or (st["n_chunks"] is None and st["chunks"] == sum(1 for _ in chunker.chunks(doc))):
                    report.unchanged.append(doc.doc_id)
                    continue
                report.repaired.append(doc.doc_id)
            elif st and st["hash"] == "":
                report.repaired.append(doc.doc_id)
            todo.append(doc)
        pending: list[tuple[Document, list]] = []
        pending_ids: set[str] = set()  # the documents in ``pending``, and their chunks, counted as they are added
        pending_chunks = 0
        done = 0
        if progress:  # the real total from the start, before the first (slow) embedding batch
            progress(0, len(todo))

        written: set[str] = set()  # ids written by this call (a path can repeat an id): they have chunks now

        def record(doc, n):
            (report.updated if doc.doc_id in states or doc.doc_id in written else report.added).append(doc.doc_id)
            written.add(doc.doc_id)
            report.chunks += n

        def flush():
            nonlocal done, pending_chunks
            chunks = [c for _, cs in pending for c in cs]
            vectors = self.embedder.embed([c.text for c in chunks])
            items, offset = [], 0
            for doc, cs in pending:
                items.append((doc, cs, vectors[offset : offset + len(cs)]))
                offset += len(cs)
            # one Chroma write for the batch (its cost is mostly per call); only documents stored before have old chunks
            self.store.write_documents(items, stored=states.keys() | written)
            for doc, cs in pending:
                record(doc, len(cs))
            done += len(pending)
            pending.clear()
            pending_ids.clear()
            pending_chunks = 0
            if progress:
                progress(done, len(todo))

        def slices(doc, chunks):
            """A long document's chunks with their vectors, ``batch_chunks`` at a time, as the chunker makes them."""
            while part := list(islice(chunks, batch_chunks)):
                yield part, self.embedder.embed([c.text for c in part])
                if progress:
                    progress(done + min(part[-1].end_char / len(doc.text), 1.0), len(todo))

        for doc in todo:
            stream = chunker.chunks(doc)
            head = list(islice(stream, batch_chunks + 1))
            if len(head) > batch_chunks:  # a long document: embedded and written a slice at a time, never held whole
                if pending:
                    flush()
                record(doc, self.store.write_document(doc, slices(doc, chain(head, stream))))
                done += 1
                if progress:
                    progress(done, len(todo))
                continue
            if doc.doc_id in pending_ids:  # one write holds each document once
                flush()
            pending.append((doc, head))
            pending_ids.add(doc.doc_id)
            pending_chunks += len(head)
            if pending_chunks >= batch_chunks:
                flush()
        if pending:
            flush()
        if refresh and report.chunks:
            self.refresh_index()
        return report

    def sources(self) -> list[dict]:
        return self.store.documents()

    def remove(self, doc_id: str) -> int:
        removed = self.store.delete_document(doc_id)
        if not removed:
            raise AssistantError(f"no document with id '{doc_id}'; `assistant sources` lists the ids")
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

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """The top ``k`` passages (default: the settings' k), numbered from 1."""
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
        return self.retriever.retrieve(question, k or self.settings.k, filters)

    def check_filters(self, filters: Filters | None) -> None:
        """Raise NoMatchError ("the filters (...) matched 0 of N chunks; M of D documents have no date; ...") when the
        filters match nothing indexed (retrieve would find nothing, and ask would refuse)."""
        if filters is not None and filters.active() and self.store.count():
            from .index.retrieve import resolve_filters

            resolve_filters(self.store, filters, strict=True)

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
    ) -> Answer:
        return last_answer(self.ask_stream(question, k, filters, history, status))

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
        status: Callable[[str], None] | None = None,
    ) -> Iterator[str | Answer]:
        """Yields the answer's text as it is generated, then the verified Answer. ``status`` (optional) is told each
        stage as it starts: "retrieving", "loading the language model" (first use in a process), "generating",
        "checking citations"."""
        started = time.perf_counter()
        if status:
            status("retrieving")
        passages = self.passages_for(question, k, filters, history)
        yield from self.answer_stream(question, passages, history, started=started, status=status)

    def passages_for(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> list[Passage]:
        """What goes in the prompt for this question: retrieved (a follow-up as the standalone question it stands
        for; per named source, see ``rank``), then cut to the budget."""
        budget = self.budget(k)
        return budget.select(self.rank(self.standalone(question, history), budget.k_max, filters))

    def known_sources(self) -> list[str]:
        """The sources of the indexed documents (what a question's source names are matched against)."""
        stamp = (self.store.count(), getattr(self.store, "generation", 0))
        if self._sources is None or self._sources[0] != stamp:
            self._sources = (stamp, sorted({str(d.get("source") or "") for d in self.sources()} - {""}))
        return self._sources[1]

    def plan(self, question: str) -> Plan:
        """What the question names (indexed sources, their dates, the part about each; sources nothing indexed is
        from) and the kind of answer it asks for (see ``assistant/answer/plan.py``)."""
        from .answer.plan import make_plan

        return make_plan(question, self.known_sources())

    def rank(self, question: str, n: int, filters: Filters | None = None) -> list[Passage]:
        """The top ``n`` passages for a question. One that names its sources ("according to The Verge and
        TechCrunch", "the Sporting News article published on October 2, 2023") is also retrieved per named source,
        as a sub-query filtered to that source (and date, when that finds anything), and the rankings merged
        (``Budget.merge``) so each named source contributes; explicit filters mean one plain retrieval."""
        main = self.retrieve(question, n, filters)
        if (filters is not None and filters.active()) or self.store.count() == 0:
            return main
        plan = self.plan(question)
        if not plan.across():
            return main
        rankings = []
        for i, sq in enumerate(plan.subqueries):
            got = self.retriever.retrieve(sq.query, n, self._filters_for(sq, dated=True))
            if not got and (sq.since or sq.until):
                got = self.retriever.retrieve(sq.query, n, self._filters_for(sq, dated=False))
            rankings.append([replace(p, metadata={**p.metadata, "via": [i]}) for p in got])
        rankings.append([replace(p, metadata={**p.metadata, "via": [-1]}) for p in main])
        return Budget.merge(rankings, n)

    @staticmethod
    def _filters_for(sq: SubQuery, dated: bool) -> Filters:
        return Filters(
            source=sq.sources[0],
            since=sq.since if dated else None,
            until=sq.until if dated else None,
            source_spellings=sq.sources,
        )

    def answer(
        self,
        question: str,
        passages: list[Passage],
        history: list[tuple[str, str]] | None = None,
        started: float | None = None,
    ) -> Answer:
        """Answer from these passages (already retrieved and numbered); ``started`` (a ``time.perf_counter()``)
        counts the retrieval that found them into the timings."""
        return last_answer(self.answer_stream(question, passages, history, started))

    def answer_stream(
        self,
        question: str,
        passages: list[Passage],
        history: list[tuple[str, str]] | None = None,
        started: float | None = None,
        status: Callable[[str], None] | None = None,
    ) -> Iterator[str | Answer]:
        from .answer.prompt import REDACTED

        say = status or (lambda stage: None)
        # a follow-up is checked and reported as the question it stands for; the generator, which also sees the
        # earlier turn, reads "and how many Russian troops?" as "How many Russian troops?"
        standalone = self.standalone(question, history)
        if history:
            from .answer.followup import asked_for_generation

            question = asked_for_generation(question, *history[-1])
        t1 = time.perf_counter()
        t0 = started if started is not None else t1
        check_question_length(question, self.settings.max_question_chars)
        prompt = self._prompt(question, passages, history)
        plan = self.plan(standalone) if self.store.count() else None
        method = ""
        raw = ""
        if plan is not None:
            from .answer.decide import annotate

            annotate(plan, passages)
        if not passages:
            raw = prompt.refusal
            yield raw
        elif plan is not None and plan.unknown:
            # what a source reported cannot be in passages from other sources
            names = ", ".join(plan.unknown)
            method = f"refused: the question asks what {names} reported, and no indexed article is from {names}"
            raw = prompt.refusal
            yield raw
        else:
            if not self.backends.generator_built:
                say("loading the language model")
                load = getattr(self.generator, "llm", None)  # the local backend loads its weights lazily
                if callable(load):
                    load()
            if plan is not None and not history and plan.across() and plan.kind in ("yes/no", "choice"):
                from .answer.decide import compose, decide

                say("deciding")
                verdict, said = decide(self.generator, self.settings.prompts_dir, prompt, plan, passages)
                if verdict:
                    raw, method = compose(verdict, said, plan, passages, prompt.seen)
                    yield raw
                else:
                    method = (
                        f"the model gave no {' / '.join(plan.options or ['Yes', 'No'])} ({said!r}): answered as usual"
                    )
            if not raw:
                say("generating")
                pieces = []
                for piece in self.generator.stream(prompt):
                    pieces.append(piece)
                    yield piece
                raw = "".join(pieces).strip()
        t2 = time.perf_counter()
        # the model may copy the prompt's removal notice (and cite it): that is no part of an answer
        raw = re.sub(re.escape(REDACTED) + r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*", "", raw).strip()
        say("checking citations")
        # checked against the passages as the model saw them: a sentence addressed to the model supports nothing
        verification = self._verify(raw, prompt, standalone)
        checked = AnswerCheck()
        if self.settings.check_answers and passages and not verification.refused:
            verification, checked = self._answers_the_question(
                standalone, question, passages, history, prompt, verification, say
            )
        by_n = {p.n: p for p in passages}
        t3 = time.perf_counter()
        unsupported = verification.unsupported
        if checked.check and verification.refused and checked.first_answer:
            unsupported = unsupported or [checked.first_answer]
        yield Answer(
            question=standalone,
            answer=verification.answer,
            refused=verification.refused,
            citations=[Citation.from_passage(by_n[n]) for n in sorted(verification.cited)],
            passages=passages,
            unsupported=unsupported,
            model=self.generator.name if passages else "none",
            timings_ms={
                "retrieve": (t1 - t0) * 1000,
                "generate": (t2 - t1) * 1000,
                "verify": (t3 - t2) * 1000,
                "total": (t3 - t0) * 1000,
            },
            sentences=verification.sentences,
            dropped=verification.dropped,
            withheld=verification.withheld,
            answer_check=checked,
            plan=plan if plan is not None and (plan.across() or plan.unknown) else None,
            method=method,
        )

    def _prompt(self, question: str, passages: list[Passage], history: list[tuple[str, str]] | None):
        from .answer.prompt import build_prompt

        s = self.settings
        return build_prompt(
            s.prompts_dir,
            question,
            passages,
            history,
            max_title_chars=s.max_title_chars,
            max_passage_chars=s.max_passage_chars,
        )

    def _verify(self, raw: str, prompt, standalone: str):
        """Checked against the passages as the model saw them: a sentence addressed to the model supports nothing."""
        return self.verifier.verify(
            raw, prompt.seen, prompt.refusal, question=standalone, withhold_unsupported=self.settings.refuse_unsupported
        )

    def _answers_the_question(self, standalone, question, passages, history, prompt, verification, say):
        """The checks of asked.py on a verified answer. When one fails: answer again from the passages that could
        satisfy it (the right answer is often in another passage), else refuse, keeping the failed answer. A "when"
        answer that stands gets its dates completed from its evidence (``precise_dates``)."""
        from .answer.checks import OTHER_ONE, check_answer, conflict_notes, could_answer, parse_question, precise_dates
        from .answer.verify import Verification

        asked = parse_question(standalone)
        verdict = check_answer(asked, verification.sentences, passages, prompt.seen)
        if not verdict.check:
            notes = conflict_notes(standalone, verification.sentences, prompt.seen)
            if notes:  # another passage gives another figure for it: say so
                verification.sentences.extend(notes)
                verification.answer = " ".join([verification.answer] + [n.text for n in notes])
            return precise_dates(asked, verification), verdict  # "premieres November 15" → "November 15, 2020"
        verdict.first_answer = verification.answer
        candidates = could_answer(asked, passages, prompt.seen)
        if verdict.check in OTHER_ONE:
            cited = {n for s in verification.sentences if s.supported for n in s.cited}
            candidates = [p for p in candidates if p.n not in cited]
        if candidates and len(candidates) < len(passages):
            say("answering again")
            verdict.retried_with = [p.n for p in candidates]
            again = self._prompt(question, candidates, history)
            second = self._verify("".join(self.generator.stream(again)).strip(), again, standalone)
            if second.refused or not check_answer(asked, second.sentences, candidates, again.seen).check:
                return precise_dates(asked, second), verdict
        refusal = Verification(
            answer=prompt.refusal,
            refused=True,
            sentences=verification.sentences,
            dropped=verification.dropped,
            withheld=True,
        )
        return refusal, verdict


def last_answer(items: Iterator[str | Answer]) -> Answer:
    answer = None
    for item in items:
        if isinstance(item, Answer):
            answer = item
    if answer is None:
        raise RuntimeError("the pipeline ended without an Answer")
    return answer
