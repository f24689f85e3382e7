"""`.dockerignore` patterns (Image.with_dockerignore): which files of a source folder stay out of the image.

Docker's rules: one pattern a line, `#` comments, paths relative to the copied folder's root,
`*` and `?` within one path segment, `**` across segments, a leading `!` re-includes, the last
matching line wins, and a pattern that matches a folder excludes all it holds.
"""

from __future__ import annotations

import re
from pathlib import Path


def _regex(pattern: str) -> re.Pattern[str]:
    """A pattern as a regex over a '/'-separated relative path (also matching everything under it)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}(?:/.*)?$")


class IgnoreRules:
    """The parsed lines of one .dockerignore file."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            keep = line.startswith("!")
            cleaned = line.lstrip("!").strip().strip("/")
            if cleaned.startswith("./"):
                cleaned = cleaned[2:]
            if cleaned:
                self.rules.append((keep, _regex(cleaned)))

    def excluded(self, relative: str) -> bool:
        """Whether a path relative to the copied folder ('sub/x.pyc') is left out."""
        verdict = False
        for keep, regex in self.rules:
            if regex.match(relative):
                verdict = not keep
        return verdict


def load(path: str) -> IgnoreRules:
    """The rules of the file with_dockerignore named; a clear error when it is not there at build time."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"with_dockerignore({path!r}): the .dockerignore file was not found at build time")
    return IgnoreRules(file.read_text(encoding="utf-8"))
