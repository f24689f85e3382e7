"""A timeline of runs: a Gantt chart of task calls, each nested call under the call that made it,
coloured by status, with what each used drawn in its bar (memory over time against its limit) and
written beside it (peak, CPU time).

One data shape (timeline(), plain JSON) feeds both pictures: `%flyte_timeline` draws it here as
SVG in the cell (no plotting library: a few rects, lines and a polyline per run), and the sidebar
draws it in React (labextension/src/timeline.tsx) from the bridge's `timeline` message.
"""

from __future__ import annotations

import html
import time
from typing import Any, Iterable

from .rightsizing import for_run
from .runs import RunRecord, Status
from .usage import summary

#: Fill per status; dark enough for white text and visible on light and dark backgrounds.
COLORS = {
    Status.QUEUED.value: "#8a8f98", Status.BUILDING.value: "#6b7fb3", Status.STARTING.value: "#6b7fb3",
    Status.RUNNING.value: "#1f6fd1", Status.RETRYING.value: "#b5791f", Status.SUCCEEDED.value: "#2e8540",
    Status.FAILED.value: "#c62828", Status.TIMED_OUT.value: "#c8641e", Status.OOM.value: "#8e24aa",
    Status.CANCELLED.value: "#6d6d6d", Status.CACHED.value: "#00838f",
}
ROW, BAR, LABEL, INFO, PAD = 28, 18, 220, 340, 8


def _tree_order(runs: list[RunRecord]) -> list[tuple[RunRecord, int]]:
    """Each run after its parent (and the parent's earlier children), roots in the order they started."""
    ids = {run.id for run in runs}
    children: dict[str | None, list[RunRecord]] = {}
    for run in sorted(runs, key=lambda r: r.created):
        children.setdefault(run.parent if run.parent in ids else None, []).append(run)
    ordered: list[tuple[RunRecord, int]] = []

    def visit(parent: str | None, depth: int) -> None:
        for run in children.get(parent, []):
            ordered.append((run, depth))
            visit(run.id, depth + 1)

    visit(None, 0)
    return ordered


def _subtree(runs: list[RunRecord], root: str) -> list[RunRecord]:
    keep, changed = {root}, True
    while changed:
        changed = False
        for run in runs:
            if run.parent in keep and run.id not in keep:
                keep.add(run.id)
                changed = True
    return [run for run in runs if run.id in keep]


def timeline(runs: Iterable[RunRecord], root: str | None = None, now: float | None = None) -> dict[str, Any]:
    """The runs (or `root` and the calls under it) as plain data, times in seconds since the first start."""
    selected = list(runs)
    if root is not None:
        if not any(run.id == root for run in selected):
            raise KeyError(f"no run {root!r} to draw a timeline of")
        selected = _subtree(selected, root)
    now = time.time() if now is None else now
    origin = min((run.created for run in selected), default=now)

    def since(t: float) -> float:
        return round(t - origin, 3)

    rows = []
    for run, depth in _tree_order(selected):
        end = run.ended if run.ended is not None else now
        measured = run.usage
        hint = for_run(run)
        rows.append({
            "id": run.id, "task": run.task, "parent": run.parent, "depth": depth, "status": run.status.value,
            "start": since(run.created), "end": since(end), "done": run.status.done,
            "attempts": [{"number": a.number, "status": a.status.value, "start": since(a.started),
                          "end": since(a.ended if a.ended is not None else now)} for a in run.attempts],
            "peak_memory": measured.peak_memory if measured else None,
            "memory_limit": measured.memory_limit if measured else None,
            "cpu_seconds": measured.cpu_seconds if measured else None,
            "wall_seconds": measured.wall_seconds if measured else None,
            "samples": [[since(s.at), s.memory, s.cpu] for a in run.attempts if a.usage
                        for s in a.usage.samples],
            "used": summary(measured), "hint": str(hint) if hint else None,
            "hint_more": hint.more if hint else None,
        })
    span = max([row["end"] for row in rows] + [0.0])
    return {"origin": origin, "span": span, "rows": rows, "colors": COLORS}


# ---- the cell's picture -------------------------------------------------------------------------
def _ticks(span: float) -> list[float]:
    """About five round tick marks (0.1, 0.2, 0.5, 1, 2, 5, 10 ... seconds apart) over [0, span]."""
    step = 0.1
    while span / step > 6:
        for factor in (2, 2.5, 2):
            step *= factor
            if span / step <= 6:
                break
    count = int(span / step + 1e-9)
    return [round(i * step, 6) for i in range(count + 1)]


def _style(variable: str, fallback: str) -> str:
    return f"fill:var({variable},{fallback})"


def svg(data: dict[str, Any], width: int = 980) -> str:
    """The timeline as one SVG: labels left, bars on a time axis, what each used on the right."""
    rows = data["rows"]
    span = max(data["span"], 0.1)
    plot = max(200, width - LABEL - INFO)
    height = PAD * 2 + 20 + ROW * max(1, len(rows)) + 24

    def x(t: float) -> float:
        return round(LABEL + plot * max(0.0, t) / span, 2)

    text = _style("--jp-ui-font-color1", "#1f1f1f")
    muted = _style("--jp-ui-font-color2", "#5f5f5f")
    grid = "stroke:var(--jp-border-color2,#d0d0d0)"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flyte-nb-timeline" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'style="font-family:var(--jp-ui-font-family,sans-serif);font-size:12px">',
             f"<title>flyte_nb timeline: {len(rows)} runs over {span:.1f}s</title>"]
    axis_y = PAD + 14
    for tick in _ticks(span):
        parts.append(f'<line x1="{x(tick)}" y1="{axis_y + 4}" x2="{x(tick)}" y2="{height - 24}" style="{grid}"/>')
        parts.append(f'<text x="{x(tick)}" y="{axis_y}" text-anchor="middle" style="{muted}">{tick:g}s</text>')
    if not rows:
        parts.append(f'<text x="{LABEL}" y="{axis_y + ROW}" style="{muted}">no runs yet</text>')
    positions = {}
    for index, row in enumerate(rows):
        top = axis_y + 8 + index * ROW
        mid = top + ROW / 2
        positions[row["id"]] = (mid, 12 + row["depth"] * 14)
        color = COLORS.get(row["status"], "#777")
        indent = 12 + row["depth"] * 14
        if row["parent"] in positions:  # an elbow from the parent's label to this one
            parent_mid, parent_indent = positions[row["parent"]]
            parts.append(f'<path d="M{parent_indent + 3} {parent_mid + 6} V{mid} H{indent - 2}" fill="none" '
                         f'style="{grid}"/>')
        parts.append(f'<text x="{indent}" y="{mid + 4}" style="{text}">'
                     f'{html.escape(_short(row["task"], 30 - row["depth"] * 2))} '
                     f'<tspan style="{muted}">{row["id"]}</tspan></text>')
        bar_top = mid - BAR / 2
        first = row["attempts"][0]["start"] if row["attempts"] else row["end"]
        tooltip = html.escape(f'{row["task"]} {row["id"]}: {row["status"]}, {row["end"] - row["start"]:.2f}s'
                              + (f' — {row["used"]}' if row["used"] else "")
                              + (f'\n{row["hint"]}' if row["hint"] else ""))
        parts.append(f'<g class="flyte-nb-run" data-run="{row["id"]}"><title>{tooltip}</title>')
        if first > row["start"]:  # queued (and building) before the first attempt
            parts.append(f'<rect x="{x(row["start"])}" y="{bar_top + 5}" width="{max(1, x(first) - x(row["start"]))}" '
                         f'height="{BAR - 10}" rx="2" fill="{color}" opacity="0.35"/>')
        segments = row["attempts"] or [{"start": row["start"], "end": row["end"], "status": row["status"]}]
        for attempt in segments:
            parts.append(f'<rect x="{x(attempt["start"])}" y="{bar_top}" '
                         f'width="{max(2, x(attempt["end"]) - x(attempt["start"]))}" height="{BAR}" rx="3" '
                         f'fill="{COLORS.get(attempt["status"], color)}"/>')
        parts.append(_memory_line(row, x, bar_top))
        parts.append("</g>")
        info = row["used"] or ("cache hit" if row["status"] == Status.CACHED.value else row["status"])
        marker = "" if row["hint"] is None else \
            f'<tspan style="{text}" font-weight="bold">{"  ▲ more" if row["hint_more"] else "  ▼ less"}</tspan>'
        parts.append(f'<text x="{LABEL + plot + 10}" y="{mid + 4}" style="{muted}">{html.escape(_short(info, 46))}'
                     f'{marker}<title>{html.escape(row["hint"] or info)}</title></text>')
    legend_y = height - 8
    shown = sorted({row["status"] for row in rows}, key=list(COLORS).index) or [Status.SUCCEEDED.value]
    cursor = LABEL
    for status in shown:
        parts.append(f'<rect x="{cursor}" y="{legend_y - 9}" width="10" height="10" rx="2" fill="{COLORS[status]}"/>')
        parts.append(f'<text x="{cursor + 14}" y="{legend_y}" style="{muted}">{status.replace("_", " ")}</text>')
        cursor += 24 + 7 * len(status)
    parts.append(f'<polyline points="{cursor + 4},{legend_y - 2} {cursor + 12},{legend_y - 8} {cursor + 20},'
                 f'{legend_y - 4}" fill="none" stroke="#ffffff" stroke-width="2" style="stroke:var(--jp-ui-font-color1,'
                 f'#1f1f1f)"/><text x="{cursor + 26}" y="{legend_y}" style="{muted}">memory / limit</text>')
    parts.append("</svg>")
    return "".join(parts)


def _memory_line(row: dict[str, Any], x: Any, bar_top: float) -> str:
    """Memory over the call, as a white line inside its bar: the bar's height is its limit (else its peak)."""
    points = [(at, memory) for at, memory, _ in row["samples"] if memory is not None]
    scale = row["memory_limit"] or row["peak_memory"]
    if len(points) < 2 or not scale:
        return ""
    coords = " ".join(f"{x(at)},{round(bar_top + BAR - 2 - (BAR - 4) * min(1.0, memory / scale), 2)}"
                      for at, memory in points)
    return f'<polyline points="{coords}" fill="none" stroke="#ffffff" stroke-width="1.5" opacity="0.9"/>'


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(data: dict[str, Any], width: int = 40) -> str:
    """The same timeline in characters, for terminals and saved notebooks' plain text."""
    span = max(data["span"], 0.1)
    lines = []
    for row in data["rows"]:
        begin = int(width * row["start"] / span)
        length = max(1, int(width * (row["end"] - row["start"]) / span))
        bar = " " * begin + "█" * min(length, width - begin)
        name = _short(f'{"  " * row["depth"]}{row["task"]} {row["id"]}', 34)
        lines.append(f'{name:<34} |{bar:<{width}}| {row["status"]}' + (f' — {row["used"]}' if row["used"] else ""))
    return "\n".join(lines) or "no runs yet"


class Timeline:
    """What `%flyte_timeline` returns: the SVG in a notebook, the characters elsewhere."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return svg(self.data)

    def __repr__(self) -> str:
        return text(self.data)
