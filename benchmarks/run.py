"""Every speed and memory figure of issue 9, in one invocation on one machine, so the ratios are fair:

    .venv/bin/python benchmarks/run.py [--quick] [--workdir DIR] [--skip answers,scale,...]

Parts (each also runs alone, see ``bench_retrieval.py`` and ``answers.py``):
- ``cold``: ``assistant --help`` (and that it imports no torch / llama_cpp / onnxruntime / chromadb), ``ask --llm
  extractive`` in fresh processes;
- ``embed``: raw MiniLM throughput (torch and ONNX) on 1,024 real MultiHop chunks, and ingest's throughput on the same
  chunks (a store created, written and its BM25 index built and saved);
- ``ingest``: the seed article and the MultiHop corpus through the CLI (the real embedder), re-ingest unchanged;
- ``scale``: a store of 1k / 10k / 100k chunks (STAND-IN vectors, MiniLM for the query): a fresh process's first
  retrieval, warm retrieval p50/p95 with and without a filter;
- ``rss``: a synthetic corpus of 50k one-chunk records ingested (STAND-IN embedder): peak RSS, chunks/s;
- ``answers``: the seed questions through this project and through llama-index's CitationQueryEngine (same Chroma,
  MiniLM and GGUF): fresh-process median, warm p50, correct, correct-and-cited, prompt tokens evaluated;
- ``first``: the time to the first shown (checked) text of a streamed answer, against the model's first token
  (``first_sentence.py``).

Writes benchmarks/results.json and prints (and writes benchmarks/results.md) one Markdown table with the targets. The
load average is recorded beside each part: figures taken on a busy machine say so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

PARTS = ("cold", "embed", "ingest", "scale", "rss", "answers", "first")


def load() -> float:
    return round(os.getloadavg()[0], 2)


def part_ingest() -> dict:
    """The seed article and the MultiHop corpus into fresh data dirs through the CLI; then the corpus again."""
    import tempfile

    from bench_retrieval import CORPUS, PY, timed

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in (("seed", ROOT / "seeds"), ("multihop", CORPUS)):
            if not Path(path).exists():
                continue
            cmd = [PY, "-m", "assistant", "ingest", str(path), "--json", "--data-dir", str(Path(tmp) / name)]
            wall, cpu, text = timed(cmd)
            report = json.loads(text)
            out[name] = {"s": wall, "cpu_s": cpu, "chunks": report["chunks"], "load": load()}
            out[name]["chunks_per_s"] = round(report["chunks"] / wall, 1)
            if name == "multihop":
                wall, _, _ = timed(cmd)
                out["multihop_unchanged_again_s"] = wall
    return out


def run(parts: list[str], quick: bool, workdir: str) -> dict:
    import bench_retrieval as br

    results: dict = {"cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": quick}
    for part in parts:
        t = time.perf_counter()
        at = load()
        if part == "cold":
            got = br.mode_cold(SimpleNamespace())
        elif part == "embed":
            got = br.mode_embed(SimpleNamespace(chunks=128 if quick else 1024, repeats=1 if quick else 2))
        elif part == "ingest":
            got = part_ingest()
        elif part == "scale":
            sizes = "1000,10000" if quick else "1000,10000,100000"
            got = br.mode_scale(SimpleNamespace(sizes=sizes, workdir=workdir and str(Path(workdir) / "scale")))
        elif part == "rss":
            got = br.mode_rss(
                SimpleNamespace(
                    chunks=5000 if quick else 50_000,
                    mb="0",
                    reingest=False,
                    code=str(ROOT),
                    workdir=workdir and str(Path(workdir) / "rss"),
                    save=lambda out: None,
                )
            )
        elif part == "first":
            import first_sentence

            got = first_sentence.measure()
        else:
            import answers

            got = answers.measure(5 if quick else 15, 1 if quick else 3)
        results[part] = got | {"part_s": round(time.perf_counter() - t, 1), "load_at_start": at}
        print(f"[{part}] done in {results[part]['part_s']} s (load {at} → {load()})", file=sys.stderr, flush=True)
    return results


def fmt(x, unit: str = "") -> str:
    """A figure as the table shows it: a float to 3 decimals (a median of two runs is their mean: 1.72400000000002)."""
    if isinstance(x, float):
        x = round(x, 3)
    return "–" if x is None else f"{x}{unit}"


def table(r: dict) -> str:
    """One row per issue-9 figure: ours, the baseline where there is one, the target."""
    rows = [("figure", "this project", "baseline (CitationQueryEngine)", "ours / baseline", "target")]
    cold, emb, ing, sc, rss, ans, first = (r.get(p, {}) for p in PARTS)
    if cold:
        helps = [w for w, _, _ in cold.get("help_s (wall, cpu, load)", [])]
        rows.append(
            ("`--help` wall s (median)", fmt(sorted(helps)[len(helps) // 2] if helps else None), "", "", "≤ 0.3")
        )
        rows.append(
            ("`ask --llm extractive` fresh s (median)", fmt(cold.get("ask_extractive_fresh_median_s")), "", "", "≤ 1.5")
        )
    if ans:
        o, b = ans.get("ours", {}), ans.get("baseline")
        n = ans.get("questions")
        for key, label, target in (
            ("fresh_median_s", "`ask` fresh process s (median)", "≤ 6 and < baseline"),
            ("warm_p50_s", "answer warm p50 s", "≤ 3 and ≤ baseline"),
        ):
            bv = b.get(key) if b else None
            ratio = f"{o[key] / bv:.2f}" if bv else "–"
            rows.append((label, fmt(o.get(key)), fmt(bv), ratio, target))
        for key in ("answer_correct", "correct_and_cited"):
            rows.append((f"{key} (seed, {n})", f"{o.get(key)}/{n}", f"{b.get(key)}/{n}" if b else "–", "", "no loss"))
        ev = [x["prompt_tokens_evaluated"] for x in o.get("rows", []) if x.get("prompt_tokens_evaluated") is not None]
        if ev:
            rows.append(("prompt tokens evaluated per question (median)", fmt(sorted(ev)[len(ev) // 2]), "", "", ""))
    for kind, figures in first.get("summary", {}).items():
        rows.append(
            (
                f"streamed answer ({kind}): first token / first shown checked text / whole answer s (median)",
                " / ".join(fmt(figures[k]) for k in ("first_token_s", "first_shown_s", "total_s")),
                "",
                "",
                "",
            )
        )
    if emb:
        med = emb.get("median_chunks_per_s", {})
        rows.append(
            ("raw MiniLM chunks/s (ONNX; torch)", f"{fmt(med.get('onnx'))}; {fmt(med.get('torch'))}", "", "", "≥ 60")
        )
        rows.append(("ingest / raw ONNX", fmt(emb.get("ingest_over_onnx")), "", "", "≥ 0.9"))
    for name in ("seed", "multihop"):
        if name in ing:
            rows.append((f"ingest {name} (CLI, fresh process) chunks/s", fmt(ing[name]["chunks_per_s"]), "", "", ""))
    for n, row in sc.items():
        if not isinstance(row, dict) or "warm" not in row:
            continue
        firsts = sorted(x["first_retrieval_s"] for x in row["fresh_process_first_retrieval"])
        rows.append(
            (
                f"{n} chunks: fresh process to first retrieval s (median)",
                fmt(firsts[len(firsts) // 2]),
                "",
                "",
                "≤ 1.5 at 100k",
            )
        )
        w = row["warm"]
        rows.append(
            (
                f"{n} chunks: warm retrieval p95 ms (none / source / date filter)",
                " / ".join(fmt(w[k]["p95_ms"]) for k in ("no_filter", "source_filter", "date_filter")),
                "",
                "",
                "≤ 50 at 100k",
            )
        )
    if rss.get("jsonl"):
        j = rss["jsonl"]
        rows.append(
            (
                f"ingest {j['chunks']} synthetic chunks (stand-in vectors): peak RSS MB, chunks/s",
                f"{j['peak_rss_mb']}, {j['chunks_per_s']}",
                "",
                "",
                "bounded",
            )
        )
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows[1:]]
    loads = ", ".join(f"{p} {r[p]['load_at_start']}" for p in PARTS if p in r)
    lines.append(f"\n{r['cpus']} CPUs; load average at the start of each part: {loads}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, ~5 min): not the figures")
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out: " + ", ".join(PARTS))
    ap.add_argument("--workdir", default="", help="keep the built stores here (a re-run reuses them)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = ap.parse_args()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(var, "1")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(PARTS):
        sys.exit(f"unknown part(s) {', '.join(sorted(skip - set(PARTS)))}; parts: {', '.join(PARTS)}")
    results = run([p for p in PARTS if p not in skip], args.quick, args.workdir)
    args.out.write_text(json.dumps(results, indent=1, default=str, ensure_ascii=False))
    md = table(results)
    args.out.with_suffix(".md").write_text(md + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
