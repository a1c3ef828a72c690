"""Helpers for tests that start real server processes on 127.0.0.1 (chroma, llama_cpp.server).

Every server runs in its own process group with its output in a log file (a full pipe would stall it), and is stopped
by process-group id: SIGTERM, then SIGKILL if it lingers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SEEDS = ROOT / "seeds"


def free_port() -> int:
    """A port nothing listens on right now (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without ASSISTANT_* / OPENAI_* variables, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASSISTANT_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    env.update(extra)
    return env


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the process leads its own group (start_new_session=True)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def log_tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@contextmanager
def server(
    cmd: list[str], log: Path, ready: Callable[[], bool], timeout: float, what: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` (environment: ``env``, else ``clean_env()``), wait until ``ready()`` is true, yield the process,
    always stop it afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env or clean_env(),
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with code {proc.returncode} before answering:\n{log_tail(log)}")
            try:
                if ready():
                    break
            except Exception:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not answer within {timeout:.0f}s:\n{log_tail(log)}")
            time.sleep(0.25)
        yield proc
    finally:
        stop(proc)


def chroma_ready(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        return isinstance(client.heartbeat(), int)

    return ready


def get_json(url: str, timeout: float = 2.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.load(resp)


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*")) if path.exists() else []


def isolated_assistant(request, home: Path, **overrides):
    """An Assistant for a module-scoped fixture, built before conftest's per-test isolation applies: its settings
    come from ``overrides`` only (no user config, no ASSISTANT_*/OPENAI_* variables), its index lives in ``home``.
    It reuses the session's MiniLM when conftest offers one."""
    from assistant import Assistant
    from assistant.backends import Backends
    from assistant.settings import load_settings

    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("ASSISTANT_") or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
                mp.delenv(key)
        mp.setenv("ASSISTANT_CONFIG", str(home / "absent-config.toml"))
        overrides.setdefault("data_dir", home / "data")
        settings = load_settings(**overrides)
    try:
        embedder = request.getfixturevalue("shared_embedder")
    except pytest.FixtureLookupError:
        embedder = None
    return Assistant(settings, backends=Backends(settings, embedder=embedder))
