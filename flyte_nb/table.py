"""A small table that renders as HTML in a notebook and as aligned text in a terminal."""

from __future__ import annotations

import html
from typing import Any, Sequence


class Table:
    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
        self.headers = list(headers)
        self.rows = [[("" if c is None else str(c)) for c in row] for row in rows]
        self.title = title

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.headers)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left;white-space:pre'>{html.escape(c)}</td>"
                                        for c in row) + "</tr>" for row in self.rows)
        caption = f"<caption style='text-align:left'>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        if not self.rows:
            return f"{self.title}: (none)" if self.title else "(none)"
        widths = [max(len(h), *(len(line) for r in self.rows for line in r[i].splitlines() or [""]))
                  for i, h in enumerate(self.headers)]
        def fmt(cells: Sequence[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        lines = ([self.title] if self.title else []) + [fmt(self.headers), fmt(["-" * w for w in widths])]
        lines += [fmt([c.replace("\n", "; ") for c in r]) for r in self.rows]
        return "\n".join(lines)
