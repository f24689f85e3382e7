"""One-line notices for what flyte_nb cannot honor here (a disk limit, a cluster pod template, a
CPU request larger than the machine): each said once per kernel, on stderr, without a source
path, so notebooks show the same words on every machine."""

from __future__ import annotations

import sys

_said: set[str] = set()


def notice(message: str) -> None:
    if message not in _said:
        _said.add(message)
        print(f"flyte_nb: {message}", file=sys.stderr)
