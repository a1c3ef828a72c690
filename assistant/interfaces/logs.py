"""A log of questions and answers in SQLite (``<data_dir>/logs.db``), like ``llm logs``: yesterday's answer and its
citations can be found again, and ``ask -c`` follows up on the last one. Standard-library sqlite3; one table."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, UTC
from pathlib import Path

from ..errors import AssistantError
from ..types import Answer

SCHEMA = """
create table if not exists answers (
    id integer primary key autoincrement,
    datetime_utc text not null,
    asked text not null,          -- the question as typed (a follow-up as it was written)
    question text not null,       -- the question answered (a follow-up rewritten to stand on its own)
    answer text not null,
    refused integer not null,
    model text not null,
    answer_json text not null     -- the whole `ask --json` object
)
"""


class Log:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path)
            db.execute(SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise AssistantError(
                f"cannot open the answer log {self.path} ({err}); check the data dir is writable, or pass --no-log"
            ) from None
        db.row_factory = sqlite3.Row
        return db

    def add(self, answer: Answer, asked: str | None = None) -> int:
        record = answer.to_json()
        with self._connect() as db:
            cur = db.execute(
                "insert into answers (datetime_utc, asked, question, answer, refused, model, answer_json) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    asked or answer.question,
                    answer.question,
                    answer.answer,
                    int(answer.refused),
                    answer.model,
                    json.dumps(record, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid or 0)

    def recent(self, n: int = 3) -> list[dict]:
        """The last n entries, oldest first (n <= 0: all)."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "select * from answers order by id desc" + (" limit ?" if n > 0 else ""), (n,) if n > 0 else ()
            ).fetchall()
        return [self._row(r) for r in reversed(rows)]

    def last(self) -> dict | None:
        rows = self.recent(1)
        return rows[0] if rows else None

    @staticmethod
    def _row(r: sqlite3.Row) -> dict:
        record = json.loads(r["answer_json"])
        return {
            "id": r["id"],
            "datetime_utc": r["datetime_utc"],
            "asked": r["asked"],
            "question": r["question"],
            "answer": r["answer"],
            "refused": bool(r["refused"]),
            "model": r["model"],
            "citations": record.get("citations", []),
            "unsupported": record.get("unsupported", []),
        }


def log_for(settings) -> Log:
    return Log(Path(settings.data_dir) / "logs.db")
