"""Servers safe by default, as real processes: `serve` refuses a non-loopback bind without a key; a request naming a
foreign Host (DNS rebinding) or coming from a foreign web page (Origin) is refused before it is read; uploads have a
count and type limit; the MCP `ingest` tool reads no path unless started with --allow-root, and never outside it."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import httpx
import pytest
from _servers import clean_env, free_port, get_json, server

pytestmark = pytest.mark.server

NOTE = b"Harbour ferry news\nThe harbour ferry will carry 1,450 passengers a day from the new pier in May."


def serve_env(home):
    return clean_env(
        ASSISTANT_LLM="extractive",
        ASSISTANT_DATA_DIR=str(home / "data"),
        ASSISTANT_CONFIG=str(home / "absent-config.toml"),
        ASSISTANT_CACHE_DIR=str(home / "cache"),
    )


def test_a_non_loopback_bind_without_a_key_is_refused_in_one_line(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        env=serve_env(tmp_path),
    )
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        "error: refusing to serve on 0.0.0.0 without an API key: anyone who can reach it could read and change the "
        "index; set --api-key (or ASSISTANT_API_KEY), or pass --insecure-no-key"
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("safe")
    port = free_port()
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--allow-origin", "https://app.example"]
    url = f"http://127.0.0.1:{port}"
    with server(
        cmd, home / "serve.log", lambda: get_json(f"{url}/healthz")["status"] == "ok", 120, "serve", serve_env(home)
    ):
        yield url, home / "serve.log"


def sources(url: str) -> list[str]:
    return [d["title"] for d in httpx.get(f"{url}/v1/sources", timeout=30).json()["documents"]]


def upload(url: str, headers: dict | None = None, files=None):
    return httpx.post(
        f"{url}/v1/ingest", files=files or [("files", ("ferry.txt", NOTE, "text/plain"))], headers=headers, timeout=60
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "attacker.example:8000"},  # DNS rebinding: the attacker's name now points at 127.0.0.1
        {"Host": "127.0.0.1.attacker.example"},
        {"Origin": "https://attacker.example"},  # a cross-site form post needs no preflight
        {"Origin": "null"},  # a sandboxed frame or a file:// page
    ],
)
def test_a_foreign_host_or_web_origin_cannot_write(served, headers):
    url, log = served
    r = upload(url, headers)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["type"] == "permission_error" and "\n" not in r.json()["error"]["message"]
    assert httpx.get(f"{url}/v1/sources", headers=headers, timeout=30).status_code == 403  # nor read
    assert "Harbour ferry news" not in sources(url)


def test_local_clients_and_allowed_origins_are_served(served):
    url, log = served
    assert httpx.get(f"{url}/v1/sources", headers={"Origin": "http://localhost:5173"}, timeout=30).status_code == 200
    assert httpx.get(f"{url}/v1/sources", headers={"Origin": "https://app.example"}, timeout=30).status_code == 200
    assert httpx.get(f"{url}/v1/sources", headers={"Host": "localhost"}, timeout=30).status_code == 200
    r = upload(url)  # no Origin: a program, not a web page
    assert r.status_code == 200 and len(r.json()["added"]) == 1
    assert "Traceback" not in log.read_text()


def test_uploads_have_a_count_and_a_type_limit(served):
    url, _ = served
    many = [("files", (f"note-{i}.txt", NOTE + str(i).encode(), "text/plain")) for i in range(21)]
    r = upload(url, files=many)
    assert r.status_code == 413 and "at most 20 files" in r.json()["error"]["message"]
    r = upload(url, files=[("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))])
    assert r.status_code == 422 and r.json()["errors"][0].startswith("tool.exe: unsupported file type '.exe'")


# ---- MCP: paths only under an allowed root


def mcp_session(home, roots: list, calls: list[dict]):
    from mcp import Client, StdioServerParameters

    args = ["-m", "assistant", "mcp"] + [x for root in roots for x in ("--allow-root", str(root))]
    params = StdioServerParameters(command=sys.executable, args=args, env=serve_env(home))

    async def main():
        with anyio.fail_after(240):
            async with Client(params, read_timeout_seconds=180) as client:
                return [await client.call_tool("ingest", call) for call in calls]

    return anyio.run(main)


def text_of(result) -> str:
    return result.content[0].text if result.is_error else str(result.structured_content)


def test_mcp_reads_no_path_without_a_root_and_nothing_outside_it(tmp_path):
    pytest.importorskip("mcp")
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "news").mkdir(parents=True)
    outside.mkdir()
    secret = outside / "credentials.txt"
    secret.write_text("Access keys\nAWS_SECRET=planted-secret-value-1234")
    (root / "news" / "ferry.txt").write_bytes(NOTE)
    os.symlink(secret, root / "link.txt")  # a link inside the root to a file outside it
    os.symlink(secret, root / "news" / "inner-link.txt")
    os.symlink(outside, root / "dir-link")

    no_root = mcp_session(tmp_path, [], [{"paths": [str(root / "news" / "ferry.txt")]}])
    assert no_root[0].is_error and "ingest of paths is off" in text_of(no_root[0])

    calls = [
        {"paths": [str(secret)]},
        {"paths": [str(root / "link.txt")]},
        {"paths": [str(root / "dir-link" / "credentials.txt")]},
        {"paths": [str(root / ".." / "outside" / "credentials.txt")]},
        {"paths": ["../outside/credentials.txt"]},
        {"paths": [str(root / "news")]},  # the folder: its link out is skipped, the article read
    ]
    out = mcp_session(tmp_path, [root], calls)
    for result in out[:5]:
        assert result.is_error and "outside the allowed roots" in text_of(result), text_of(result)
    assert not out[5].is_error and len(out[5].structured_content["added"]) == 1
    assert all("planted-secret" not in text_of(r) for r in out)
