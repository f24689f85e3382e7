"""Where flyte_nb keeps files: the user's data dir (secrets, reports) and cache dir (cache entries)."""

from __future__ import annotations

import functools
import os
from pathlib import Path


def data_dir() -> Path:
    """$FLYTE_NB_DATA_DIR, else $XDG_DATA_HOME/flyte_nb, else ~/.local/share/flyte_nb."""
    environ = os.environ
    return _folder(environ.get("FLYTE_NB_DATA_DIR"), environ.get("XDG_DATA_HOME"), "~/.local/share",
                   environ.get("HOME"))


def cache_dir() -> Path:
    """$FLYTE_NB_CACHE_DIR, else $XDG_CACHE_HOME/flyte_nb, else ~/.cache/flyte_nb."""
    environ = os.environ
    return _folder(environ.get("FLYTE_NB_CACHE_DIR"), environ.get("XDG_CACHE_HOME"), "~/.cache", environ.get("HOME"))


@functools.lru_cache(maxsize=32)
def _folder(own: str | None, xdg: str | None, fallback: str, home: str | None) -> Path:
    """The folder for these values of its variables, built once per values (a warm call asks for the blob
    store under the data dir; expanduser and a Path cost more than the rest of its pool lookup). `home`
    only keys the memo: expanduser reads $HOME."""
    return Path(own or os.path.join(xdg or os.path.expanduser(fallback), "flyte_nb"))


#: Modes of everything flyte_nb keeps for the user: owner only, set at creation (never 0755 first).
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, mode: int = PRIVATE_DIR) -> Path:
    """`mkdir -p path`: `path` created with `mode`, the folders above it that it makes with 0700 (so
    none is ever open to others, not even for a moment); `path` narrowed to `mode` when an older
    version left it wider.

    Folders that already existed above `path` (~/.local/share) are the user's and stay as they are.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        wanted = mode if made == path else PRIVATE_DIR
        try:
            os.mkdir(made, wanted)
        except FileExistsError:
            continue
        if made.stat().st_mode & 0o7777 != wanted:  # a umask can only have narrowed it; give back those bits
            os.chmod(made, wanted)
    if path.stat().st_mode & 0o7777 != mode and path.stat().st_uid == os.getuid():
        os.chmod(path, mode)
    return path


def remove_quietly(path: Path) -> None:
    """Remove a file if possible: callers that clean up (a bad cache entry, a dead kernel's log) must
    not fail because the file is gone or cannot be removed."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write_private(path: Path, data: bytes) -> None:
    """Write a file that only its owner can read: created 0600 under a temporary name, then renamed,
    so no reader ever sees it wider or half written."""
    import tempfile

    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
