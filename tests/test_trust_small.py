"""Small trust items: a record's id never carries escape sequences to the terminal, a full disk is reported as a full
disk, invalid k settings are refused in one line."""

from __future__ import annotations

import json
from collections import namedtuple

import pytest
from typer.testing import CliRunner

from assistant.interfaces.cli import app


def run(data_dir, *args, env=None):
    return CliRunner().invoke(app, [*map(str, args), "--data-dir", str(data_dir)], env=env)


def test_an_id_with_escape_sequences_is_stored_and_printed_without_them(tmp_path, data_dir):
    record = {"id": "ferry\x1b]0;PWNED\x07-7\x9b2J", "title": "Ferry", "body": "The harbour ferry leaves at nine."}
    (tmp_path / "evil.jsonl").write_text(json.dumps(record) + "\n")
    r = run(data_dir, "ingest", tmp_path / "evil.jsonl")
    assert r.exit_code == 0, r.output
    rows = json.loads(run(data_dir, "sources", "--json").stdout)
    assert [r["doc_id"] for r in rows] == ["ferry-7"]
    for args in (("sources",), ("search", "harbour ferry"), ("search", "harbour ferry", "--json")):
        out = run(data_dir, *args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "ferry-7" in out


def test_a_full_disk_is_reported_as_a_full_disk(monkeypatch, tmp_path):
    import shutil

    from assistant.index.clients import store_error

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(3 << 20, 3 << 20, 0))
    err = store_error(str(tmp_path / "chroma"), RuntimeError("Error in compaction: Failed to apply logs"))
    assert str(err) == (
        f"the disk holding the store at {tmp_path / 'chroma'} is full (0.0 MB free); free some space, or use a "
        "--data-dir on another disk, then ingest again"
    )
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1 << 40, 1 << 30, 1 << 39))
    err = store_error(str(tmp_path / "chroma"), RuntimeError("Error in compaction: Failed to apply logs"))
    assert str(err).startswith("Chroma store at") and "is full" not in str(err)


@pytest.mark.parametrize("name, value", [("K", "0"), ("K", "-2"), ("K_MAX", "0"), ("CANDIDATES", "0"), ("RRF_K", "0")])
def test_invalid_k_settings_are_refused_in_one_line(data_dir, name, value):
    r = run(data_dir, "search", "ferry", env={f"ASSISTANT_{name}": value})
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stderr.strip().splitlines() == [
        f"error: setting '{name.lower()}' = '{value}' is invalid: Input should be greater than or equal to 1; fix the "
        f"flag, the ASSISTANT_{name} variable or {r.stderr.split(' variable or ')[1].strip()}"
    ]
