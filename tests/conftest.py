"""Shared fixtures.

Every test runs isolated from the user's real index and config: ASSISTANT_DATA_DIR and ASSISTANT_CONFIG point into the
test's tmp_path, other ASSISTANT_* / OPENAI_* variables are cleared, and ASSISTANT_LLM=extractive (no LLM) unless the
test is marked ``llm``. The MiniLM embedder is loaded once per session and handed to every Assistant the tests build
(registered as the "local" backend of the embedder registry, as a plugin would be), so a test costs Chroma and
arithmetic, not a model load.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakes import MemoEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = next(SEEDS.glob("*.txt"))
VENV_BIN = Path(sys.executable).parent
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def onnx_cache() -> Path:
    """The user's cache dir, holding MiniLM's ONNX export (made once, by the first test run, as on first use)."""
    from platformdirs import user_cache_dir

    from assistant.index.embed import OnnxExport, packaged_model_dir

    cache = Path(user_cache_dir("assistant"))
    OnnxExport(packaged_model_dir(), cache).ensure()
    return cache


@pytest.fixture(scope="session")
def shared_embedder(onnx_cache):
    """One all-MiniLM-L6-v2 for the whole session (it loads lazily, on the first embed)."""
    from assistant.index.embed import LocalEmbedder

    # LocalEmbedder reads only these settings; a namespace keeps the user's env/config out of it
    return MemoEmbedder(
        LocalEmbedder(
            SimpleNamespace(
                embed_model_name=DEFAULT_EMBED_MODEL,
                embed_batch_size=32,
                n_threads=max(1, os.cpu_count() or 1),
                cache_dir=onnx_cache,
            )
        )
    )


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch, request, shared_embedder):
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "config.toml"))  # absent: defaults apply
    if request.node.get_closest_marker("llm") is None:
        monkeypatch.setenv("ASSISTANT_LLM", "extractive")
        # eval index and judge caches go to tmp, not ~/.cache (llm tests keep it: the model files live there)
        monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
        # the CLI run as a child process finds MiniLM's ONNX export there, as an installed machine has it
        (tmp_path / "cache").mkdir(exist_ok=True)
        (tmp_path / "cache" / "onnx").symlink_to(shared_embedder.inner.cache_dir / "onnx", target_is_directory=True)
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(key, "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")

    from assistant.index.embed import EMBEDDERS, LocalEmbedder

    def local(settings):
        return shared_embedder if settings.embed_model_name == DEFAULT_EMBED_MODEL else LocalEmbedder(settings)

    monkeypatch.setitem(EMBEDDERS, "local", local)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """The per-test index location (ASSISTANT_DATA_DIR points here too)."""
    return tmp_path / "data"


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def seed_file() -> Path:
    return SEED_FILE


@pytest.fixture
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def make_assistant(data_dir):
    """Build Assistants on the per-test data dir (extra settings as keyword arguments)."""
    from assistant import Assistant

    def make(embedder=None, generator=None, **overrides):
        """Backends passed in (``embedder=``, ``generator=``) replace the built ones, as a caller's would."""
        from assistant.backends import Backends
        from assistant.settings import load_settings

        overrides.setdefault("data_dir", data_dir)
        overrides.setdefault("llm", "extractive")
        settings = load_settings(**overrides)
        return Assistant(settings, backends=Backends(settings, embedder=embedder, generator=generator))

    return make


@pytest.fixture
def assistant(make_assistant):
    return make_assistant()


@pytest.fixture
def seeded(assistant, seeds_dir):
    """An Assistant with the seed article indexed."""
    report = assistant.ingest([seeds_dir])
    assert report.errors == [] and len(report.added) == 1
    return assistant


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


NEWS_RECORDS = [
    {
        "id": "wire-1",
        "title": "Harbour bridge reopens",
        "source": "Coastal Times",
        "published_at": "2024-03-02",
        "body": "The Kelvingrove harbour bridge reopened to traffic on Saturday after an eleven month repair. "
        "Engineers replaced 312 steel cables and repainted the main span.",
    },
    {
        "id": "wire-2",
        "title": "Orchard harvest breaks record",
        "source": "Valley Herald",
        "published_at": "2024-06-15T08:30:00Z",
        "body": "Apple growers in the Tamsworth valley picked 48,000 tonnes this season, a record harvest. "
        "Cooperative managers credited a mild spring and new irrigation.",
    },
    {
        "id": "wire-3",
        "title": "Harbour ferry timetable changes",
        "source": "Valley Herald",
        "published_at": "2024-09-30",
        "body": "The harbour ferry will run every twenty minutes from October, the transport office said. "
        "Night crossings end at midnight instead of two in the morning.",
    },
    {
        "id": "wire-4",
        "title": "Library gets rare atlas",
        "source": "Coastal Times",
        "published_at": "2025-01-20",
        "body": "The city library received a rare seventeenth century atlas donated by the Quenby family. "
        "The atlas will be shown in a climate controlled case from spring.",
    },
]


@pytest.fixture
def news_jsonl(tmp_path) -> Path:
    """A small news corpus: four records, two sources, dates from 2024-03 to 2025-01."""
    return write_jsonl(tmp_path / "corpus" / "news.jsonl", NEWS_RECORDS)
