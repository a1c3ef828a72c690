"""One write path: files, stdin (`ingest -`), HTTP records and uploads, and the MCP text ingest all go through the same
loader rules (``ingest.load.Loader`` then ``Assistant.write``): an id indexed from elsewhere for another article is
refused by name, a bad record costs itself only, a bad file costs itself only, a zip bomb is refused before it is
unzipped. The hostile inputs are hand-written; the last test drives generated ones through every path."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assistant.interfaces.cli import app

FERRY = {"id": "shared-id", "title": "Ferry timetable", "body": "The island ferry leaves the harbour at nine sharp."}
OTHER = {"id": "shared-id", "title": "Orchard report", "body": "Apple growers expect a late harvest this autumn."}
GOOD = {"id": "kept-1", "title": "Library hours", "body": "The town library now opens at eight on Saturdays."}


def jsonl(*records: dict) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def ingest(data_dir: Path, *args: str, stdin: bytes | None = None):
    return CliRunner().invoke(app, ["ingest", *args, "--data-dir", str(data_dir)], input=stdin)


def stored(a, doc_id: str) -> dict | None:
    return a.store.document_states([doc_id]).get(doc_id)


def titles(a) -> dict[str, str]:
    return {row["doc_id"]: row["title"] for row in a.sources()}


@pytest.fixture
def with_ferry(tmp_path, data_dir, make_assistant):
    """A store holding FERRY from a file, and an Assistant on it."""
    (tmp_path / "a.jsonl").write_bytes(jsonl(FERRY))
    r = ingest(data_dir, str(tmp_path / "a.jsonl"))
    assert r.exit_code == 0, r.output
    return make_assistant()


# ---- the foreign-id refusal, on every way in


def test_stdin_cannot_overwrite_an_article_indexed_from_a_file(with_ferry, data_dir, tmp_path):
    r = ingest(data_dir, "-", stdin=jsonl(OTHER, GOOD))
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"error: <stdin>: id 'shared-id' is already indexed from {tmp_path / 'a.jsonl'} for a different article; "
        "not replaced: give it its own id, or `assistant remove shared-id` first"
    ]
    assert titles(with_ferry) == {"shared-id": "Ferry timetable", "kept-1": "Library hours"}


def test_http_records_cannot_overwrite_an_article_indexed_from_a_file(with_ferry, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import create_app

    with TestClient(create_app(with_ferry), base_url="http://127.0.0.1:8000") as client:
        r = client.post("/v1/ingest", json={"records": [OTHER, GOOD]})
        assert r.status_code == 200, r.text
        assert r.json()["added"] == ["kept-1"]
        assert r.json()["errors"] == [
            f"api: id 'shared-id' is already indexed from {tmp_path / 'a.jsonl'} for a different article; "
            "not replaced: give it its own id, or `assistant remove shared-id` first"
        ]
        upload = client.post("/v1/ingest", files=[("files", ("a.jsonl", jsonl(OTHER), "application/x-ndjson"))])
        assert upload.status_code == 422 and "already indexed from" in upload.json()["errors"][0]
    assert titles(with_ferry)["shared-id"] == "Ferry timetable"


def call_mcp(a, tool: str, arguments: dict, roots=None) -> tuple[bool, dict | str]:
    """Call a tool of the MCP server over the SDK's in-memory client: (is_error, the result or the error text)."""
    from mcp import Client

    from assistant.interfaces.mcp import create_server

    async def go():
        async with Client(create_server(a, roots=roots)) as client:
            got = await client.call_tool(tool, arguments)
            return got.is_error, (got.content[0].text if got.is_error else got.structured_content)

    return anyio.run(go)


def test_mcp_text_goes_through_the_loader_and_is_one_article(with_ferry):
    # the text tool takes no id: its id comes from its content, so the same text twice is one article, and a text
    # can never take the id of an article indexed from a file
    failed, first = call_mcp(with_ferry, "ingest", {"text": GOOD["body"], "title": "Library"})
    assert not failed and len(first["added"]) == 1
    failed, again = call_mcp(with_ferry, "ingest", {"text": GOOD["body"], "title": "Library"})
    assert not failed and again["unchanged"] == first["added"]
    assert stored(with_ferry, first["added"][0])["path"] == "mcp:text"
    failed, message = call_mcp(with_ferry, "ingest", {"text": "Body.", "published_at": ["not", "a", "date"]})
    assert failed and "Traceback" not in message
    assert titles(with_ferry) == {"shared-id": "Ferry timetable", first["added"][0]: "Library"}


# ---- a bad record costs itself only


def test_one_bad_line_or_byte_on_stdin_keeps_the_other_records(data_dir, make_assistant):
    data = jsonl(GOOD) + b'{"id": "broken", "body": \n' + b'{"id": "latin1", "body": "caf\xe9 au lait"}\n'
    data += jsonl({"id": "kept-2", "body": "The swimming pool reopens in June after repairs."})
    r = ingest(data_dir, "-", stdin=data)
    assert r.exit_code == 1
    assert [line.split(": ")[1] for line in r.stderr.strip().splitlines()] == ["<stdin>:2", "<stdin>:3"]
    assert "not UTF-8" in r.stderr and "Traceback" not in r.output
    assert sorted(titles(make_assistant())) == ["kept-1", "kept-2"]


def test_one_bad_byte_in_a_jsonl_or_json_file_keeps_the_other_records(tmp_path, data_dir, make_assistant):
    (tmp_path / "feed.jsonl").write_bytes(jsonl(GOOD) + b'{"id": "bad", "body": "\xff\xfe broken"}\n')
    array = b'[{"id": "arr-1", "body": "Tram line four runs again."}, {"id": "arr-2", "body": "na\xefve"}]'
    (tmp_path / "feed.json").write_bytes(array)
    r = ingest(data_dir, str(tmp_path / "feed.jsonl"), str(tmp_path / "feed.json"))
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and f"{tmp_path / 'feed.jsonl'}:2: a byte that is not UTF-8" in lines[0]
    assert f"{tmp_path / 'feed.json'}[1]: the record holds a byte that is not UTF-8" in lines[1]
    assert sorted(titles(make_assistant())) == ["arr-1", "kept-1"]


# ---- a bad file costs itself only


def broken_docx(path: Path) -> Path:
    """A .docx whose document.xml is not well-formed XML."""
    import docx

    document = docx.Document()
    document.add_paragraph("Placeholder text.")
    buf = io.BytesIO()
    document.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p><unclosed></w:body>")
            dst.writestr(item, data)
    return path


def docx_bomb(path: Path, unzipped_mb: int) -> Path:
    """A few hundred KB that would unzip to ``unzipped_mb`` MB (zeros in document.xml), written a MB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(unzipped_mb):
                f.write(b"\0" * (1 << 20))
    return path


def test_a_malformed_docx_and_a_non_utf8_file_name_cost_only_themselves(tmp_path, data_dir, make_assistant):
    news = tmp_path / "news"
    news.mkdir()
    broken_docx(news / "broken.docx")
    (news / "good.txt").write_text("Harbour works finish\nThe harbour works finish in March, two weeks early.")
    bad_name = os.fsencode(news) + b"/caf\xe9.txt"
    with open(bad_name, "wb") as f:
        f.write(b"Cafe reopens\nThe cafe by the station reopens on Monday.")
    r = ingest(data_dir, str(news))
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        f"error: {news}/broken.docx: not a readable Word .docx file (XMLSyntaxError: malformed XML); "
        "re-save it as .docx (Word 2007 or later)"
    )
    assert lines[1] == f"error: {news}/caf\\xe9.txt: the file name is not valid UTF-8; rename the file, then ingest it"
    assert list(titles(make_assistant()).values()) == ["Harbour works finish"]


def test_a_docx_zip_bomb_is_refused_in_one_line_before_it_is_unzipped(tmp_path, data_dir, make_assistant):
    bomb = docx_bomb(tmp_path / "bomb.docx", 120)
    assert bomb.stat().st_size < 1_000_000
    (tmp_path / "good.txt").write_text("Bridge inspection\nThe bridge passed its inspection on Tuesday.")
    r = ingest(data_dir, str(bomb), str(tmp_path / "good.txt"))
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"error: {bomb}: unzips to 120 MB, over the 100 MB limit (a zip bomb?); save the text on its own, or raise "
        "the limit (ASSISTANT_MAX_UNZIPPED_MB)"
    ]
    assert list(titles(make_assistant()).values()) == ["Bridge inspection"]


def test_an_upload_with_one_bad_file_indexes_the_good_one_and_names_the_bad(tmp_path, make_assistant):
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import create_app

    a = make_assistant()
    good = b"Harbour ferry news\nThe harbour ferry will carry 1,450 passengers a day."
    bad = broken_docx(tmp_path / "broken.docx").read_bytes()
    with TestClient(create_app(a), base_url="http://127.0.0.1:8000") as client:
        r = client.post(
            "/v1/ingest",
            files=[("files", ("broken.docx", bad, "application/octet-stream")), ("files", ("ferry.txt", good))],
        )
    assert r.status_code == 200, r.text
    assert len(r.json()["added"]) == 1
    assert r.json()["errors"] == [
        "broken.docx: not a readable Word .docx file (XMLSyntaxError: malformed XML); re-save it as .docx "
        "(Word 2007 or later)"
    ]
    assert list(titles(a).values()) == ["Harbour ferry news"]


# ---- generated hostile inputs through every path


IDS = st.sampled_from(["shared-id", "n1", "n2", None])
BODIES = st.sampled_from(
    [
        "The ferry leaves at ten.",
        "Snow closed the mountain pass.",
        "A new bakery opened in the square.",
        "\x1b]0;title\x07 The council met on Friday.",
    ]
)
GOOD_LINE = st.builds(lambda i, b: (i, b), IDS, BODIES)
BAD_LINE = st.sampled_from([b"{oops", b'{"id": "x", "body": "caf\xe9"}', b"[1, 2]", b'{"title": "no body"}', b"\xff"])
LINES = st.lists(st.one_of(GOOD_LINE, BAD_LINE), min_size=1, max_size=5)
PATHS = st.sampled_from(["stdin", "http", "upload", "mcp"])


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory, request):
    from _servers import isolated_assistant

    home = tmp_path_factory.mktemp("hostile")
    a = isolated_assistant(request, home, llm="extractive")
    (home / "a.jsonl").write_bytes(jsonl(FERRY))
    a.ingest([home / "a.jsonl"])
    return a, home


def _line(item) -> bytes:
    if isinstance(item, bytes):
        return item
    doc_id, body = item
    return json.dumps({"body": body} | ({"id": doc_id} if doc_id else {})).encode()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, path=PATHS)
def test_hostile_records_through_every_path_never_overwrite_or_lose_the_good_ones(hostile_store, lines, path):
    """Whatever the lines and the way in: no exception, the file's article is never replaced, every bad line is
    reported, and every good record is stored unless it conflicts (its id is another article's)."""
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import create_app

    a, home = hostile_store
    ferry_before = stored(a, "shared-id")
    data = b"\n".join(_line(item) for item in lines) + b"\n"
    if path == "stdin":
        report = a.write(a.loader().stdin(data))
        errors = report.errors
    elif path == "mcp":
        for item in lines:
            if isinstance(item, bytes):
                continue
            failed, got = call_mcp(a, "ingest", {"text": item[1], "title": "generated"})
            assert not failed, got
        errors = []
    else:
        with TestClient(create_app(a), base_url="http://127.0.0.1:8000") as client:
            if path == "http":
                records = []
                for item in lines:
                    try:
                        records.append(json.loads(_line(item)))
                    except (ValueError, UnicodeDecodeError):
                        records.append(_line(item).decode("latin-1"))  # a string: not a record
                r = client.post("/v1/ingest", json={"records": records})
            else:
                r = client.post("/v1/ingest", files=[("files", ("gen.jsonl", data, "application/x-ndjson"))])
        assert r.status_code in (200, 422), r.text
        errors = r.json()["errors"]
    bad = sum(isinstance(item, bytes) for item in lines)
    if path != "mcp":
        assert len(errors) >= bad
    assert all("\n" not in e for e in errors)
    assert stored(a, "shared-id") == ferry_before  # the file's article is never overwritten
    # each good record with its own id, given once, is stored with its content (unless its id names another article)
    by_id: dict[str, set[str]] = {}
    for item in lines:
        if not isinstance(item, bytes) and item[0]:
            by_id.setdefault(item[0], set()).add(item[1])
    for doc_id, bodies in by_id.items():
        if len(bodies) == 1 and doc_id != "shared-id" and path != "mcp":
            state = stored(a, doc_id)
            refused = any(f"id '{doc_id}'" in e for e in errors)
            assert state is not None and (state["complete"] or refused), (doc_id, errors)


def test_a_deeply_nested_request_and_a_garbage_pdf_are_one_line_each(tmp_path, data_dir, make_assistant):
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import create_app

    with TestClient(create_app(make_assistant()), base_url="http://127.0.0.1:8000") as client:
        nested = b'{"records": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
        r = client.post("/v1/ingest", content=nested, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested too deeply" in r.json()["error"]["message"]
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)  # no EOF marker: pypdf warns
    r = ingest(data_dir, str(tmp_path / "garbage.pdf"))
    assert r.exit_code == 1
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith(f"error: {tmp_path / 'garbage.pdf'}: ")


def test_binary_data_on_stdin_is_one_line(data_dir):
    r = ingest(data_dir, "-", stdin=bytes(range(256)) * 16)
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "error: <stdin>: looks like binary data, not JSONL records; pipe one JSON object per line"
    ]


def test_uploads_named_to_escape_or_break_the_file_system_are_read_safely(make_assistant):
    from fastapi.testclient import TestClient

    from assistant.interfaces.server import create_app

    a = make_assistant()
    note = b"Pier news\nThe pier reopened in June after repairs."
    names = ["..", "../../etc/cron.d/evil.txt", "a" * 300 + ".txt", "tab\there.txt", "\x1b]0;x\x07.txt"]
    with TestClient(create_app(a), base_url="http://127.0.0.1:8000") as client:
        for i, name in enumerate(names):
            body = note + str(i).encode()
            r = client.post("/v1/ingest", files=[("files", (name, body, "text/plain"))])
            assert r.status_code in (200, 422), (name, r.text)
            assert "\x1b" not in r.text
    paths = sorted(row["path"] for row in a.sources())
    # ".." has no type to read it by, and the escape sequence took the name's start with it: refused, one line each
    assert len(paths) == 3 and all(p.startswith("upload:") and "/" not in p and "\x1b" not in p for p in paths)
    assert "upload:evil.txt" in paths and any(p.endswith("a….txt") for p in paths)
