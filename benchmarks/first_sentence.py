"""Time to the first shown text, now that only checked text is streamed (issue 22, item 1):

    flock /tmp/assistant-model.lock .venv/bin/python benchmarks/first_sentence.py [--llm local] [--out FILE]

The seed article is ingested into a fresh data dir; the model is loaded and one question answered to warm it; then
each hand-written question below is answered through ``Assistant.ask_stream`` (what the terminal, the HTTP stream and
MCP read), timing from the question: the model's first token (what the stream showed first before: unchecked text),
the first checked text shown, and the whole answer. Questions that ask for a kind of value (a count, a date) are held
until the answer checks ran, so for them the first shown text comes with the answer; they are reported apart.
Writes benchmarks/results-first-sentence.json (with the load average) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# hand-written about the seed article (seeds/): none is from a dev set
STREAMED = [
    "What did Biden authorize Ukraine to do with the long-range missiles?",
    "Why are U.S. officials cautious about using the ATACMS?",
    "What does Zelensky's victory plan aim to achieve?",
    "What role do the North Korean troops play for Russia in Kursk?",
    "What risks does the shift in U.S. policy raise?",
    "Why could Biden's decision be seen as a strategic effort?",
    # asking for more than one fact: answers of two or three sentences
    "What did Biden decide about the missiles, and why are U.S. officials cautious about it?",
    "Describe the situation in Kursk and North Korea's part in it.",
    "What are Trump's intentions for U.S. support, and how might Biden's decision relate to them?",
    "What is the ATACMS, and where will Ukraine use it first?",
]
HELD = [
    "How many Russian troops have massed in the Kursk area?",
    "How many North Korean soldiers are fighting alongside Russia?",
]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(llm: str = "local") -> dict:
    """The seed article ingested, the model warmed, each question answered and timed; the medians by kind."""
    from assistant import Assistant
    from assistant.types import Answer

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(data_dir=Path(tmp) / "data", llm=llm)
        a.ingest([ROOT / "seeds"])
        a.ask("What did the article say about Kursk?")  # loads the model and its prompt prefix
        generator = a.generator
        real = generator.stream
        first_token: list[float] = []

        def timed(prompt):
            for piece in real(prompt):
                if not first_token:
                    first_token.append(time.perf_counter())
                yield piece

        generator.stream = timed
        for question in STREAMED + HELD:
            first_token.clear()
            t0 = time.perf_counter()
            shown = None
            answer = None
            pieces = 0
            for item in a.ask_stream(question):
                if isinstance(item, Answer):
                    answer = item
                else:
                    pieces += 1
                    shown = shown or time.perf_counter()
            end = time.perf_counter()
            assert answer is not None
            rows.append(
                {
                    "question": question,
                    "held": question in HELD,
                    "first_token_s": round(first_token[0] - t0, 2) if first_token else None,
                    "first_shown_s": round((shown or end) - t0, 2),
                    "total_s": round(end - t0, 2),
                    "pieces": pieces,
                    "sentences": len(answer.sentences),
                    "verify_ms": round(answer.timings_ms.get("verify", 0.0)),
                    "refused": answer.refused,
                    "usage": answer.usage,
                    "load": load(),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    def median(key: str, held: bool) -> float | None:
        values = [r[key] for r in rows if r["held"] == held and r[key] is not None]
        return round(statistics.median(values), 2) if values else None

    summary = {
        kind: {key: median(key, held) for key in ("first_token_s", "first_shown_s", "total_s")}
        for kind, held in (("streamed", False), ("held", True))
    }
    return {"llm": llm, "cores": os.cpu_count(), "load": load(), "summary": summary, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", default="local")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-first-sentence.json")
    args = parser.parse_args()
    result = measure(args.llm)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"| {args.llm}, {os.cpu_count()} cores, load {result['load']} | first token | first shown | whole answer |")
    print("|---|---|---|---|")
    for kind, figures in result["summary"].items():
        n = sum(1 for r in result["rows"] if r["held"] == (kind == "held"))
        cells = " | ".join(f"{figures[k]} s" for k in ("first_token_s", "first_shown_s", "total_s"))
        print(f"| {kind} ({n} questions, median) | {cells} |")


if __name__ == "__main__":
    main()
