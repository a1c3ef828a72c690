"""One writer and a reader in two processes on one store, at 10k and 100k chunks (issues 23 and 24):

    .venv/bin/python benchmarks/bench_readers.py [--sizes 10000,100000] [--stores server,local] [--trials 5]
                                                 [--workdir DIR]

For each store kind (``server``: a real ``chroma run --path DIR`` on a free 127.0.0.1 port, both processes its
clients; ``local``: the embedded Chroma, both processes on one data dir) and size:

- the writer (this process) builds the store: N one-chunk synthetic news records (STAND-IN vectors: a hash of the
  text → a unit vector; no model runs), ``add_documents`` 2,000 records at a time, then the BM25 view (``build``:
  chunks/s, and the BM25 part);
- a reader process (``Assistant`` with the real MiniLM for the query, as a fresh ``ask`` has) opens the store: its
  first retrieval (loads or builds its BM25 view), then warm hybrid retrieval over 24 questions × 3, no filter and a
  source filter (p50 / p95);
- ``--trials`` times: the reader polls (a full hybrid retrieval each time) for an article the writer then ingests
  (``Assistant.ingest`` of a one-record JSONL file: the writer's latency per article); the reader reports when the
  article was first both in its BM25 ranking and its vector neighbours' top 1 (its stand-in vector; polled every
  20 ms), after the
  writer's ``ingest`` returned (the freshness bound; negative: seen before ingest's own BM25 refresh ended), and the
  cost of the refresh it did meanwhile: the vector index reloads (embedded only) and the BM25 view updates (the
  time of each, summed: ``Store._reload``, ``Lexical._apply`` / ``_rebuild``), and the query that found it;
- after the trials, whether the reader's BM25 view holds exactly the store's chunk ids, and how many times it was
  rebuilt from a full scan (1: only its first build); then a second reader process's first and warm retrievals
  (``next_reader``: its BM25 base loaded from its data dir, where the first saved it).

Every part records the load average beside it (2 cores, shared): the figures taken on a busy machine say so. Writes
benchmarks/results-readers.json after each measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_retrieval import PY, StandIn, load, synthetic_records  # noqa: E402

QUESTIONS = [
    "harbour ferry timetable",
    "election results senate",
    "missile range test",
    "market shares fell",
    "court ruling appeal",
    "football transfer window",
    "climate summit pledge",
    "bank interest rates",
]

READER = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1] + "/benchmarks"); sys.path.insert(0, sys.argv[1])
from bench_retrieval import StandIn
from assistant import Assistant, Filters
from assistant.index.bm25 import Lexical
from assistant.index.store import Store

costs = {"reload": [], "bm25": []}  # ms of each vector index reload, each BM25 view update (read again / rebuilt)


def timed(fn, key):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            costs[key].append((time.perf_counter() - t) * 1000)
    return wrapper


Store._reload = timed(Store._reload, "reload")
Lexical._apply = timed(Lexical._apply, "bm25")
Lexical._rebuild = timed(Lexical._rebuild, "bm25")
overrides = json.loads(sys.argv[2])
a = Assistant(llm="extractive", **overrides)
stand_in = StandIn()
say = lambda **kw: print(json.dumps(kw), flush=True)

t = time.perf_counter()
a.retrieve("harbour ferry timetable", k=4)
first = time.perf_counter() - t
out = {"first_retrieval_s": round(first, 3), "bm25_built_from_scan": a.retriever.lexical.rebuilt}
qs = json.loads(sys.argv[3])
for name, f in (("no_filter", None), ("source_filter", Filters(source="wire b"))):
    a.retrieve(qs[0], k=4, filters=f)
    times = []
    for _ in range(3):
        for q in qs:
            t = time.perf_counter(); a.retrieve(q, k=4, filters=f); times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
say(ready=out)

for line in sys.stdin:
    job = json.loads(line)
    if job.get("done"):
        view = a.retriever.bm25(None)
        stored = a.store.get(include_text=False, include_meta=False)["ids"]
        say(consistent=sorted(view.ids) == sorted(stored), chunks=len(stored), view=view.size(),
            bm25_built_from_scan=view.rebuilt)
        break
    text, doc_id = job["text"], job["doc_id"]
    vector = stand_in.embed([text])[0]
    say(watching=doc_id)
    costs["reload"].clear(); costs["bm25"].clear()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        lexical = {h.chunk_id.rsplit(":", 1)[0] for h in a.retriever.sparse(text, 20, None)}
        dense = a.store.query(vector, 1, text=False)
        t1 = time.perf_counter()
        if doc_id in lexical and dense and dense[0].chunk_id.startswith(doc_id + ":"):
            say(seen=doc_id, at=time.time(), reload_ms=round(sum(costs["reload"]), 1), reloads=len(costs["reload"]),
                bm25_update_ms=round(sum(costs["bm25"]), 1), bm25_updates=len(costs["bm25"]),
                query_ms=round((t1 - t0) * 1000, 1))
            break
        time.sleep(0.02)
    else:
        say(seen=None)
"""


def build(writer, n: int) -> dict:
    from assistant.ingest.load import record_document

    t = time.perf_counter()
    batch = []
    for r in synthetic_records(n):
        batch.append(record_document(Path("synthetic.jsonl"), r, ""))
        if len(batch) == 2000:
            writer.add_documents(batch, refresh=False)
            batch = []
    if batch:
        writer.add_documents(batch, refresh=False)
    written = time.perf_counter() - t
    writer.refresh_index()
    total = time.perf_counter() - t
    return {
        "chunks": writer.store.count(),
        "write_s": round(written, 1),
        "chunks_per_s": round(n / written, 1),
        "bm25_build_s": round(total - written, 1),
        "load": load(),
    }


def chroma_server(path: Path, log: Path):
    import socket

    from chromadb import HttpClient
    from chromadb.config import Settings as ChromaSettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)).heartbeat()
            return proc, f"http://127.0.0.1:{port}"
        except Exception:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"chroma run did not answer within 60 s; see {log}")


def measure(kind: str, n: int, work: Path, trials: int) -> dict:
    from assistant import Assistant
    from assistant.backends import Backends
    from assistant.settings import load_settings

    home = work / f"{kind}-{n}"
    home.mkdir(parents=True, exist_ok=True)
    server = None
    if kind == "server":
        server, url = chroma_server(home / "db", home / "chroma.log")
        overrides = {"chroma_url": url, "data_dir": str(home / "writer")}
        reader_overrides = {"chroma_url": url, "data_dir": str(home / "reader")}
    else:
        overrides = reader_overrides = {"data_dir": str(home / "data")}
    try:
        settings = load_settings(llm="extractive", **overrides)
        writer = Assistant(settings, backends=Backends(settings, embedder=StandIn()))
        row: dict = {"build": build(writer, n) if writer.store.count() < n else {"chunks": writer.store.count()}}
        print(kind, n, json.dumps(row), flush=True)
        reader = subprocess.Popen(
            [PY, "-c", READER, str(ROOT), json.dumps(reader_overrides), json.dumps(QUESTIONS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdin is not None and reader.stdout is not None

        def hear() -> dict:
            line = reader.stdout.readline()
            if not line:
                raise SystemExit(f"the reader process ended (code {reader.wait()})")
            return json.loads(line)

        row["reader"] = hear()["ready"] | {"load": load()}
        print(kind, n, json.dumps(row["reader"]), flush=True)
        runs = []
        for i in range(trials):
            doc_id = f"fresh-{i}-{int(time.time())}"
            text = f"Quarrelsome zorbulite {i} shipment number {doc_id} reached the quay at noon."
            reader.stdin.write(json.dumps({"text": text, "doc_id": doc_id}) + "\n")
            reader.stdin.flush()
            hear()  # watching
            path = home / f"{doc_id}.jsonl"
            path.write_text(json.dumps({"id": doc_id, "title": "Fresh", "source": "Wire E", "body": text}) + "\n")
            t0 = time.time()
            writer.ingest([path])
            t1 = time.time()
            seen = hear()
            if seen.get("seen") is None:
                runs.append({"seen": False})
                continue
            runs.append(
                {
                    "writer_ingest_ms": round((t1 - t0) * 1000, 1),
                    "seen_after_ingest_returned_ms": round((seen["at"] - t1) * 1000, 1),
                    "seen_after_ingest_began_ms": round((seen["at"] - t0) * 1000, 1),
                    **{k: seen[k] for k in ("reload_ms", "reloads", "bm25_update_ms", "bm25_updates", "query_ms")},
                    "load": load(),
                }
            )
            time.sleep(0.5)
        reader.stdin.write(json.dumps({"done": True}) + "\n")
        reader.stdin.flush()
        row["after_writes"] = hear()
        reader.wait(60)
        row["trials"] = runs
        # another reader process on the same data dir: its BM25 base is loaded (saved by the first), not scanned
        again = subprocess.Popen(
            [PY, "-c", READER, str(ROOT), json.dumps(reader_overrides), json.dumps(QUESTIONS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready, _ = again.communicate(json.dumps({"done": True}) + "\n", timeout=600)
        row["next_reader"] = json.loads(ready.splitlines()[0])["ready"] | {"load": load()}
        seen = [r for r in runs if r.get("seen", True)]
        if seen:
            row["summary"] = {
                key: {"median": round(statistics.median(r[key] for r in seen), 1), "max": max(r[key] for r in seen)}
                for key in (
                    "writer_ingest_ms",
                    "seen_after_ingest_returned_ms",
                    "seen_after_ingest_began_ms",
                    "reload_ms",
                    "bm25_update_ms",
                )
            } | {"seen": f"{len(seen)}/{len(runs)}"}
        print(kind, n, json.dumps(row.get("summary")), json.dumps(row["after_writes"]), flush=True)
        return row
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--stores", default="server,local")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--workdir", default="", help="kept between runs: a store already built is reused")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results-readers.json"))
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-readers-"))
    result: dict = {
        "load_at_start": load(),
        "cpus": os.cpu_count(),
        "workdir": str(work),
        "note": "stand-in vectors for the store and the fresh articles; MiniLM (ONNX) for the questions",
    }
    for kind in args.stores.split(","):
        for n in [int(x) for x in args.sizes.split(",")]:
            result[f"{kind}-{n}"] = measure(kind, n, work, args.trials)
            Path(args.out).write_text(json.dumps(result | {"load_at_end": load()}, indent=1))
    print(json.dumps(result | {"load_at_end": load()}, indent=1))


if __name__ == "__main__":
    main()
