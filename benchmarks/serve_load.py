"""Load on `assistant serve`: N concurrent openai clients asking chat completions; requests/s and latency p50/p95.

    python benchmarks/serve_load.py --llm extractive --clients 8 --requests 64
    python benchmarks/serve_load.py --llm local --clients 2 --requests 6

Starts its own server on 127.0.0.1 (a free port, a temporary data dir with the seed article, uploaded through
/v1/ingest), waits for /healthz (the server warms its models before answering it), runs the load, stops the server
(process group) and writes benchmarks/results-serve-<llm>.json with one sample exchange.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What is the range of the ATACMS?",
    "How many North Korean troops joined Russian forces in Kursk?",
    "Which region is the ATACMS meant to help Ukraine counter Russian forces in?",
    "Who authorized Ukraine to use U.S.-supplied long-range missiles inside Russia?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default="extractive", choices=["extractive", "local", "openai"])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=64, help="total, spread over the clients")
    ap.add_argument("--stream", action="store_true", help="stream the completions (latency = until [DONE])")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    import httpx
    import openai

    home = Path(tempfile.mkdtemp(prefix="serve-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_LLM=args.llm,
        ASSISTANT_DATA_DIR=str(home / "data"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    log = open(home / "serve.log", "wb")
    t_start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                sys.exit(f"server exited: {(home / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    if json.load(r)["status"] == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("server did not start within 600 s")
            time.sleep(0.25)
        startup = time.perf_counter() - t_start
        seed = next((ROOT / "seeds").glob("*.txt"))
        with open(seed, "rb") as f:
            r = httpx.post(f"{url}/v1/ingest", files={"files": (seed.name, f, "text/plain")}, timeout=120)
            r.raise_for_status()

        def one(i: int) -> tuple[float, bool, dict]:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=900)
            question = QUESTIONS[i % len(QUESTIONS)]
            t0 = time.perf_counter()
            if args.stream:
                chunks = list(
                    client.chat.completions.create(
                        model="assistant", stream=True, messages=[{"role": "user", "content": question}]
                    )
                )
                content = "".join(c.choices[0].delta.content or "" for c in chunks)
                extra = chunks[-1].model_extra
            else:
                done = client.chat.completions.create(
                    model="assistant", messages=[{"role": "user", "content": question}]
                )
                content, extra = done.choices[0].message.content, done.model_extra
            seconds = time.perf_counter() - t0
            return (
                seconds,
                bool(extra.get("citations")),
                {"question": question, "content": content, "citations": [c["doc_id"] for c in extra["citations"]]},
            )

        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - t0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    latencies = [r[0] for r in results]
    summary = {
        "llm": args.llm,
        "clients": args.clients,
        "requests": args.requests,
        "stream": args.stream,
        "cpu_count": os.cpu_count(),
        "startup_s": round(startup, 1),
        "wall_s": round(wall, 2),
        "requests_per_s": round(args.requests / wall, 2),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(percentile(latencies, 0.95), 3),
        "latency_max_s": round(max(latencies), 3),
        "cited": sum(r[1] for r in results),
        "sample": results[0][2],
    }
    out = args.out or ROOT / "benchmarks" / f"results-serve-{args.llm}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
