"""docs/parameters.md, generated from the parameter table (a test keeps the file in sync)."""

from __future__ import annotations

from pathlib import Path

from .parameters import LEVELS, PARAMETERS

HEADER = """# Task configuration parameters

Generated from `flyte_nb/config/parameters.py` by `python -m flyte_nb docs`; do not edit by hand.
A parameter set at a more specific level wins over a more general one
(override > @env.task decorator > TaskEnvironment > default). "If not reusable": refused on
`override()` while the task's environment is reusable, unless the same override sets `reusable="off"`.
"""


def render() -> str:
    titles = " | ".join(level.title for level in LEVELS)
    lines = [HEADER, f"| Parameter | {titles} | Type | Default | Meaning | Spec page |",
             "|---|---|---|---|---|---|---|---|"]
    for p in PARAMETERS:
        cells = " | ".join(p.rule(level).mark for level in LEVELS)
        default = p.default_note or ("—" if p.default is None else f"`{p.default!r}`")
        type_hint = p.type_hint.replace("|", "\\|")  # a bare | would split the markdown cell
        lines.append(f"| `{p.name}` | {cells} | `{type_hint}` | {default} | {p.doc} | {p.details} |")
    return "\n".join(lines) + "\n"


def write(path: Path = Path("docs/parameters.md")) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
