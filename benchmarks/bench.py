"""Speed and memory of the pipeline on this machine. Prints a markdown table and writes benchmarks/results.json.

    .venv/bin/python benchmarks/bench.py [--llm local|extractive] [--questions 3] [--corpus PATH]

Measures: `assistant --help` wall time (and that it imports no torch / llama_cpp); ingest of the seed article and of a
larger corpus (default ../shared/datasets/multihop_rag/corpus.jsonl) in a fresh data dir (docs/s, chunks/s);
answer latency in a fresh process (the CLI, cold) and in one process (warm: models loaded, KV prefix reused);
peak RSS of each.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [str(ROOT / ".venv" / "bin" / "assistant")]
QUESTIONS = [
    "How many North Korean troops joined Russian forces in Kursk?",
    "What is the range of the ATACMS?",
    "How many Russian troops have massed in the Kursk area?",
    "Who is the president-elect?",
]


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str, int]:
    """Wall seconds, stdout, and the child's peak RSS in MB (GNU time is not assumed: we read rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, proc.stdout, max(peak, before) // 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", default="local")
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "datasets" / "multihop_rag" / "corpus.jsonl"))
    args = ap.parse_args()
    out: dict = {"llm": args.llm}

    wall, _, _ = timed(CLI + ["--help"])
    imports = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from assistant.cli import app; "
            "import typer.main; typer.main.get_command(app); "
            "print(json.dumps([m for m in ('torch','llama_cpp','chromadb') if m in sys.modules]))".replace(
                "json.dumps", "__import__('json').dumps"
            ),
        ],
        capture_output=True,
        text=True,
    )
    out["help_s"] = round(wall, 3)
    out["help_heavy_imports"] = json.loads(imports.stdout or "[]")

    with tempfile.TemporaryDirectory() as tmp:
        d = ["--data-dir", str(Path(tmp) / "seed")]
        wall, text, rss = timed(CLI + ["ingest", str(ROOT / "seeds")] + d + ["--json"])
        out["ingest_seed_s"], out["ingest_seed_chunks"] = round(wall, 2), json.loads(text)["chunks"]
        out["ingest_seed_rss_mb"] = rss
        if Path(args.corpus).exists():
            dc = ["--data-dir", str(Path(tmp) / "corpus")]
            wall, text, rss = timed(CLI + ["ingest", args.corpus] + dc + ["--json"])
            report = json.loads(text)
            out["ingest_corpus"] = {
                "path": args.corpus,
                "s": round(wall, 2),
                "docs": len(report["added"]),
                "chunks": report["chunks"],
                "chunks_per_s": round(report["chunks"] / wall, 1),
                "rss_mb": rss,
            }
            wall, _, _ = timed(CLI + ["ingest", args.corpus] + dc + ["--json"])
            out["reingest_unchanged_corpus_s"] = round(wall, 2)

        cold = []
        for q in QUESTIONS[: args.questions]:
            wall, text, rss = timed(CLI + ["ask", q, "--json", "--llm", args.llm] + d)
            cold.append({"s": round(wall, 2), "timings_ms": json.loads(text)["timings_ms"], "rss_mb": rss})
        out["ask_cold"] = cold
        out["ask_cold_median_s"] = statistics.median(c["s"] for c in cold)

        from assistant import Assistant

        a = Assistant(data_dir=Path(tmp) / "seed", llm=args.llm)
        t = time.perf_counter()
        a.ask(QUESTIONS[0])
        first = time.perf_counter() - t
        warm = []
        for q in QUESTIONS[1 : args.questions + 1]:
            t = time.perf_counter()
            a.ask(q)
            warm.append(round(time.perf_counter() - t, 2))
        out["ask_in_process_first_s"] = round(first, 2)
        out["ask_warm_s"] = warm
        out["ask_warm_median_s"] = statistics.median(warm)
        out["in_process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

    (ROOT / "benchmarks" / f"results-{args.llm}.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
