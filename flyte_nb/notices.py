"""One-line notices for what flyte_nb cannot honor here (a disk limit, a cluster pod template, a
CPU request larger than the machine, which runner `auto` picked): each said once per kernel, on
stdout (they are information, not errors: a notebook shows stderr as a pink box), without a source
path, so notebooks show the same words on every machine."""

from __future__ import annotations

import sys

_said: set[str] = set()


def notice(message: str) -> None:
    if message not in _said:
        _said.add(message)
        print(f"flyte_nb: {message}", file=sys.stdout)
