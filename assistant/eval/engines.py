"""``assistant eval SET --query-engine module:factory``: any llama-index query engine over the same questions,
corpus, metrics and report as this pipeline.

``factory(documents)`` gets the corpus as llama-index ``Document``s, read by this project's loader (the same text
this pipeline indexes: ``--corpus``, or for RGB-style questions each question's own passages, one engine a
question), and returns a query engine (anything with ``.query(str)`` returning a ``Response``). Each question's
answer is ``str(response)``, its passages the response's ``source_nodes`` in order (numbered from 1, as
CitationQueryEngine's [n] cite them), its latency the ``query`` call's. The answers go to ``answers.jsonl`` in the
run folder (an interrupted run resumes), and are scored as ``--answers`` scores a file.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import AssistantError
from ..types import Document

SOURCE_LABEL = re.compile(r"^\s*Source \d+:\s*")  # CitationQueryEngine's prefix to each source's text


def load_factory(spec: str):
    """``package.module:name`` (imported from the current folder too) or ``path/to/file.py:name``."""
    module_name, _, name = spec.rpartition(":")
    if not module_name or not name.isidentifier():
        raise AssistantError(f"--query-engine '{spec}': give module:factory or path/to/file.py:factory")
    try:
        if module_name.endswith(".py") or "/" in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise AssistantError(f"--query-engine: no such file {path}")
            loader = importlib.util.spec_from_file_location(f"_query_engine_{path.stem}", path)
            assert loader is not None and loader.loader is not None
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            if str(Path.cwd()) not in sys.path:
                sys.path.insert(0, str(Path.cwd()))
            module = importlib.import_module(module_name)
    except ImportError as err:
        raise AssistantError(f"--query-engine: cannot import {module_name} ({err})") from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise AssistantError(f"--query-engine: {module_name} has no function '{name}'")
    return factory


def llama_documents(docs: list[Document]) -> list:
    from llama_index.core import Document as LlamaDocument

    return [
        LlamaDocument(
            id_=d.doc_id,
            text=d.text,
            metadata={"title": d.title, "source": d.source, "published_at": d.published_at},
        )
        for d in docs
    ]


def build_engine(factory, docs: list[Document], settings) -> Any:
    wants_settings = "settings" in inspect.signature(factory).parameters
    engine = factory(llama_documents(docs), settings=settings) if wants_settings else factory(llama_documents(docs))
    if not callable(getattr(engine, "query", None)):
        raise AssistantError(f"--query-engine: the factory returned a {type(engine).__name__}, not a query engine")
    return engine


def engine_record(engine, q, system: str) -> dict:
    started = time.perf_counter()
    response = engine.query(q.question)
    latency = (time.perf_counter() - started) * 1000
    nodes = getattr(response, "source_nodes", None) or []
    return {
        "id": q.id,
        "question": q.question,
        "answer": str(response.response if getattr(response, "response", None) is not None else ""),
        "contexts": [SOURCE_LABEL.sub("", n.node.get_content()) for n in nodes],
        "latency_ms": latency,
        "system": system,
    }


def run_engine(assistant, cfg, progress=None):
    """Answer the set with the user's engine into ``answers.jsonl``, then score it (``answers.run_answers``)."""
    from ..ingest.load import load_paths
    from .answers import run_answers
    from .run import as_posed, passage_documents, resolve_mode, select_questions

    assert cfg.engine is not None
    factory = load_factory(cfg.engine)
    questions = select_questions(cfg)
    mode = resolve_mode(cfg, questions)
    posed = as_posed(questions, mode)
    cfg.out.mkdir(parents=True, exist_ok=True)
    answers = cfg.out / "answers.jsonl"
    done: set[str] = set()
    if answers.is_file():
        for line in answers.read_text(encoding="utf-8").splitlines():
            try:
                done.add(json.loads(line)["id"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        text = answers.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):  # a line cut short by an interruption: its question runs again
            answers.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
    todo = [q for q in posed if q.id not in done]
    engine = None
    if todo and mode == "corpus":
        loaded = load_paths(cfg.corpus)
        if loaded.errors:
            raise AssistantError(f"--corpus: {loaded.errors[0]}")
        engine = build_engine(factory, loaded.documents, assistant.settings)
    with answers.open("a", encoding="utf-8") as fh:
        for i, q in enumerate(todo):
            if progress:
                progress(len(posed) - len(todo) + i, len(posed))
            own = engine or build_engine(factory, passage_documents(q, mode), assistant.settings)
            fh.write(json.dumps(engine_record(own, q, cfg.engine), ensure_ascii=False) + "\n")
            fh.flush()
    scoring = replace(cfg, answers=answers, corpus=[], mode=mode, limit=None, sample=None, only_folds=None)
    corpus = [str(p) for p in cfg.corpus]
    return run_answers(assistant, scoring, progress, engine=cfg.engine, corpus=corpus, only={q.id for q in posed})
