"""Where a task's own log lines go when no cell view shows them: the caller's stdout/stderr, in order.

The SDK's local mode runs a task in-process, so its print() lines reach the caller's stdout as they are
written; and it runs the items of a `flyte.map` one after another ("Running map in local mode, which will
run every task sequentially"), so their lines come out in input order. flyte_nb runs every item in its
own container, concurrently, as a cluster does. To print what local mode prints, an item's lines (and
those of the calls it makes) are held until every earlier item of its map has ended; the earliest
unfinished item streams live, so one long item is never held back, and neither is a call outside a map.
Held lines never outlive the call that made the map: when it ends, whatever is still held is written.

A map's items carry `MAP_ITEM` (map id, index) in their context; a nested call from a container sends it
with the call (flyte_nb.nested), so the kernel knows the item whichever process ran the map.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from dataclasses import dataclass, field

from .registry import registry
from .runs import RunRecord

#: The flyte.map item a task call started now is: (map id, index in the map's input order), else None.
MAP_ITEM: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("flyte_nb_map_item",
                                                                                  default=None)
Line = tuple[str, str]  # (text, "stdout" | "stderr")


@dataclass
class _Map:
    """One flyte.map's items as they print: the head streams, later items are held until it ends."""

    parent: str | None  # the run that made the map: its end releases whatever is held
    head: int = 0
    held: dict[int, list[Line]] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)

    def write(self, index: int, line: Line) -> list[Line]:
        """What to write now for `line` of item `index`: the line when the item is the head, else nothing."""
        if index <= self.head:
            return [line]
        self.held.setdefault(index, []).append(line)
        return []

    def end(self, index: int) -> list[Line]:
        """Item `index` ended: the lines of the items that become the head (in order), to write now."""
        self.ended.add(index)
        out: list[Line] = []
        while self.head in self.ended:
            self.head += 1
            out += self.held.pop(self.head, [])
        return out

    def release(self) -> list[Line]:
        """Everything still held, in input order (the map's caller ended: nothing later can come first)."""
        out = [line for index in sorted(self.held) for line in self.held[index]]
        self.held.clear()
        return out


_LOCK = threading.Lock()
_MAPS: dict[str, _Map] = {}
_ITEMS: dict[str, tuple[str, int]] = {}  # run id of a map item -> (map id, index)


def started(run: RunRecord, item: tuple[str, int] | None) -> None:
    """A call began; `item` is its MAP_ITEM (None outside a map)."""
    if item is None:
        return
    map_id, index = item
    with _LOCK:
        _MAPS.setdefault(map_id, _Map(parent=run.parent))
        _ITEMS[run.id] = (map_id, index)


def write(run: RunRecord, text: str, stream: str) -> None:
    """A log line of `run` to the caller's stdout/stderr, now or once the earlier items of its map ended."""
    with _LOCK:
        slot = _slot(run)
        lines = [(text, stream)] if slot is None else _MAPS[slot[0]].write(slot[1], (text, stream))
        _out(lines)


def ended(run: RunRecord) -> None:
    """A call ended: as a map item, the next items' held lines follow; as a caller, its maps' held lines."""
    with _LOCK:
        item = _ITEMS.pop(run.id, None)
        if item is not None and item[0] in _MAPS:
            _out(_MAPS[item[0]].end(item[1]))
        for map_id in [m for m, state in _MAPS.items() if state.parent == run.id]:
            _close(map_id)


def close(map_id: str) -> None:
    """A map run from this process finished iterating: write what it still holds and forget it."""
    with _LOCK:
        _close(map_id)


def _close(map_id: str) -> None:
    state = _MAPS.pop(map_id, None)
    if state is not None:
        _out(state.release())
        for run_id in [r for r, (m, _) in _ITEMS.items() if m == map_id]:
            del _ITEMS[run_id]


def _slot(run: RunRecord) -> tuple[str, int] | None:
    """The map item `run` is, or belongs to (a call an item made, at any depth), whose map is still open."""
    seen: RunRecord | None = run
    while seen is not None:
        slot = _ITEMS.get(seen.id)
        if slot is not None and slot[0] in _MAPS:
            return slot
        try:
            seen = registry().run(seen.parent) if seen.parent else None
        except KeyError:
            return None
    return None


def _out(lines: list[Line]) -> None:
    for text, stream in lines:
        (sys.stderr if stream == "stderr" else sys.stdout).write(text)
