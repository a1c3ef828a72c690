"""Files: the paths given → the files to read, walked and opened defensively (the input is untrusted).

- only regular files are opened (a named pipe or device would block or never end), non-blocking, checked with fstat
  on the open descriptor, and never past ``max_file_mb``;
- a directory is walked without leaving it: a symlink whose target lies outside the directory is skipped and
  reported (``follow_external_links`` follows file links anyway); directory links are never descended; files of
  other types are listed (``unsupported_in``), never silently skipped.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError
from .readers import SUPPORTED

DEFAULT_MAX_FILE_MB = 100.0


def expand(paths: list[Path], follow_external_links: bool = False) -> tuple[list[Path], list[str], list[str]]:
    """Files to load, recursively, in a stable order; errors for paths that do not exist or hold nothing loadable;
    notes for what a directory walk skipped (links out of the directory, pipes and devices)."""
    files: list[Path] = []
    errors: list[str] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or directory; check the path")
        elif path.is_dir():
            found, notes = walk(path, follow_external_links)
            skipped.extend(notes)
            if not found:
                errors.append(f"{path}: no {', '.join(sorted(SUPPORTED))} files in this directory")
            files.extend(found)
        else:
            files.append(path)  # named explicitly: a link is followed, a non-regular file is refused by load_file
    return files, errors, skipped


def walk(root: Path, follow_external_links: bool) -> tuple[list[Path], list[str]]:
    """Supported regular files under root, not hidden, not reached through a link that leaves root."""
    real_root = root.resolve()
    found: list[Path] = []
    notes: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            link = here / d
            if link.is_symlink() and not _inside(link_target(link), real_root):
                notes.append(f"{link}: a link to a directory outside {root} ({link_target(link)}); not followed")
        for name in sorted(filenames):
            p = here / name
            if name.startswith(".") or p.suffix.lower() not in SUPPORTED:
                continue
            if p.is_symlink():
                target = link_target(p)
                if target is None:
                    notes.append(f"{p}: a link that loops back on itself; skipped")
                    continue
                if not _inside(target, real_root) and not follow_external_links:
                    notes.append(
                        f"{p}: a link to {target}, outside {root}; not followed (give the file itself, "
                        "or set follow_external_links)"
                    )
                    continue
            try:
                mode = p.stat().st_mode
            except OSError:  # a dangling link or a file gone meanwhile
                notes.append(f"{p}: cannot be read (a broken link?); skipped")
                continue
            if not stat.S_ISREG(mode):
                notes.append(f"{p}: not a regular file (a pipe, socket or device); skipped")
                continue
            found.append(p)
    return sorted(found), notes


def link_target(link: Path) -> Path | None:
    """Where a link leads, or None for a loop."""
    try:
        return link.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return None


def _inside(path: Path | None, root: Path) -> bool:
    return path is not None and (path == root or root in path.parents)


def unsupported_in(paths: list[Path]) -> list[Path]:
    """Files inside the given directories that ingest does not read (listed in the report, never silently skipped);
    hidden files and folders are left out, as ``expand`` leaves them out."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() not in SUPPORTED
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
    return out


def open_regular(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB):
    """The file, opened for reading only when it is a regular file within the size limit (a named pipe is never
    waited on: it is opened non-blocking and refused by fstat)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror}); check the file and its permissions") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(f"{path}: not a regular file (a named pipe, socket or device); ingest regular files only")
    if max_file_mb and info.st_size > max_file_mb * 1024 * 1024:
        os.close(fd)
        raise InputError(
            f"{path}: {info.st_size / 1024 / 1024:.1f} MB is over the {max_file_mb:g} MB limit; split "
            "the file, or raise the limit (ASSISTANT_MAX_FILE_MB)"
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_text(path: Path, max_file_mb: float = DEFAULT_MAX_FILE_MB, records: bool = False) -> str:
    """The file's text: UTF-8 (BOM dropped), regular files only, within the limit. ``records``: a byte that is not
    UTF-8 is kept as a marker (``records.BAD_BYTE``) so that it costs its record only, not the file."""
    with open_regular(path, max_file_mb) as f:
        data = f.read()
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text; ingest .txt .md .html .json or .jsonl files")
    try:
        text = data.decode("utf-8-sig", errors="surrogateescape" if records else "strict")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8") from None
    del data
    if not text or text.isspace():
        raise InputError(f"{path}: the file is empty; add text or remove it from the input")
    return text
