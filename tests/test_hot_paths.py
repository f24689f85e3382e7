"""What a repeated call and a cache hit remember (codeversion, cache, task.resolve, typecheck) is still
right when the code, a global, the settings or the entry on disk change (issue 15 point 2)."""

from __future__ import annotations

import os
import time
import types
from pathlib import Path
from typing import Any

import pytest

import flyte_nb as flyte
from flyte_nb import cache as caching
from flyte_nb import codeversion
from flyte_nb import typecheck


def _cell(source: str, ns: dict[str, Any], name: str) -> None:
    """Run `source` as a notebook cell would (its own file name, so inspect finds its source)."""
    filename = f"<cell-{name}-{time.monotonic_ns()}>"
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)


def test_a_changed_global_or_helper_still_changes_the_memoized_version() -> None:
    ns: dict[str, Any] = {"__name__": "__main__"}
    _cell("LIMIT = 3\nNAMES = ['a']\ndef helper(x):\n    return x + LIMIT\n", ns, "helpers")
    _cell("def task(x):\n    return helper(x) * len(NAMES)\n", ns, "task")
    task = ns["task"]
    first = codeversion.code_version(task)
    assert codeversion.code_version(task) == first  # nothing changed
    ns["LIMIT"] = 4
    assert codeversion.code_version(task) != first  # a constant the helper reads
    ns["LIMIT"] = 3
    assert codeversion.code_version(task) == first
    ns["NAMES"].append("b")  # a mutable global changed in place
    assert codeversion.code_version(task) != first
    ns["NAMES"].pop()
    _cell("LIMIT = 3\nNAMES = ['a']\ndef helper(x):\n    return x - LIMIT\n", ns, "helpers-edited")
    assert codeversion.code_version(task) != first  # the helper's code changed
    _cell("LIMIT = 3\nNAMES = ['a']\ndef helper(x):\n    return x + LIMIT\n", ns, "helpers-again")
    assert codeversion.code_version(task) == first  # the same code again: the same version


def test_a_repeated_version_reads_no_source_and_hashes_no_immutable_value_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ns: dict[str, Any] = {"__name__": "__main__"}
    _cell("TEXT = 'x' * 100000\ndef helper():\n    return TEXT\ndef task():\n    return helper()\n", ns, "spy")
    codeversion.code_version(ns["task"])
    reads: list[Any] = []
    digests: list[Any] = []
    real_read, real_digest = codeversion._read_source, caching.value_digest
    monkeypatch.setattr(codeversion, "_read_source", lambda obj: reads.append(obj) or real_read(obj))
    monkeypatch.setattr(caching, "value_digest", lambda value: digests.append(value) or real_digest(value))
    codeversion.code_version(ns["task"])
    assert reads == [] and digests == []


def test_a_remembered_entry_that_changes_on_disk_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path))
    path = caching.write("t.task", "k1", [1, 2], run=None, secrets=[])
    assert path is not None
    past = time.time() - 10
    os.utime(path, (past, past))  # settled: remembered after its first read
    assert caching.read("t.task", "k1") == [1, 2]
    assert caching.read_if_read_before("t.task", "k1") == [1, 2]
    first, second = caching.read("t.task", "k1"), caching.read("t.task", "k1")
    first.append(3)
    assert second == [1, 2]  # every hit unpickles its own value
    data = path.read_bytes()
    path.write_bytes(data[:-3] + b"zzz")  # corrupted in place: a new mtime
    assert caching.read("t.task", "k1") is caching.MISS
    said = capfd.readouterr()
    assert "corrupt" in said.out + said.err  # the notice
    assert caching.read_if_read_before("t.task", "k1") in (caching.MISS, caching.UNREAD)
    path2 = caching.write("t.task", "k2", "v", run=None, secrets=[])
    assert path2 is not None and caching.read("t.task", "k2") == "v"
    assert caching.read_if_read_before("t.task", "k2") == "v"  # written by this kernel: known at once (held open)
    caching.clear()
    assert caching.read("t.task", "k1") is caching.MISS


def test_a_resolution_is_reused_only_while_its_settings_are_the_same(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="hot_env", env_vars={"A": "1"})

    @env.task
    def f() -> int:
        return 1

    first = f.resolve()
    assert f.resolve() is first
    env.replace_settings({"name": "hot_env", "env_vars": {"A": "2"}})
    assert f.resolve().value("env_vars") == {"A": "2"}
    flyte.registry().set_override(f.name, {"retries": 3})  # the panel's override column
    assert f.resolve().value("retries").count == 3
    flyte.registry().edit_task(f.name, {"retries": 1})  # the panel's decorator edit (under the override)
    flyte.registry().set_override(f.name, {"retries": None})
    assert f.resolve().value("retries").count == 1
    assert f.override(retries=2).resolve().value("retries").count == 2


def test_string_hints_are_resolved_again_so_a_redefined_class_counts() -> None:
    ns: dict[str, Any] = {}
    exec("from __future__ import annotations\nclass P: pass\ndef f(p: P) -> P: return p\n", ns)
    assert typecheck._hints(ns["f"])["p"] is ns["P"]
    exec("class P: pass\n", ns)
    assert typecheck._hints(ns["f"])["p"] is ns["P"]  # the new class, not the one seen first
    g = types.FunctionType((lambda x: x).__code__, {})
    g.__annotations__ = {"x": int}
    assert typecheck._hints(g) == {"x": int}
    g.__annotations__ = {"x": str}
    assert typecheck._hints(g) == {"x": str}  # new annotations: resolved again


def test_string_hints_are_resolved_once_while_the_names_they_use_stay_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `from __future__ import annotations` every hint is a string, and each call resolved them all
    again (40 us, more than the rest of a cache hit); now only when a name they use is rebound."""
    import typing

    calls = []
    real = typing.get_type_hints
    monkeypatch.setattr(typing, "get_type_hints", lambda f, *a, **k: calls.append(f) or real(f, *a, **k))
    ns: dict[str, Any] = {}
    exec("from __future__ import annotations\nclass P: pass\ndef f(p: P, n: int) -> list[P]: return [p]\n", ns)
    for _ in range(5):
        assert typecheck._hints(ns["f"]) == {"p": ns["P"], "n": int, "return": list[ns["P"]]}
    assert len(calls) == 1
    ns["int"] = str  # a global that shadows a builtin a hint names counts too
    assert typecheck._hints(ns["f"])["n"] is str and len(calls) == 2
    exec("import typing as t\ndef h(x: 't.Optional[int]') -> None: pass\n", ns)
    typecheck._hints(ns["h"]), typecheck._hints(ns["h"])
    assert len(calls) == 4  # a dotted name (an attribute that may change) is resolved every time


def test_a_key_is_quick_unless_the_last_two_were_slow(inprocess: None, monkeypatch: pytest.MonkeyPatch) -> None:
    env = flyte.TaskEnvironment(name="quick_env", cache="auto")

    @env.task
    def reads(x: int) -> int:
        return x + 1

    took = [0.0]  # how long each key "takes": every read of cache_key's clock moves it on by that much
    clock = types.SimpleNamespace(now=0.0)

    def perf_counter() -> float:
        clock.now += took[0]  # read at a key's start and at its end: the key took took[0]
        return clock.now

    monkeypatch.setattr(caching, "time", types.SimpleNamespace(perf_counter=perf_counter, time=time.time))
    bound, settings = reads.bind((1,), {}), reads.resolve()
    assert not caching.key_is_quick(reads, bound)  # no key yet: how long one takes is unknown
    caching.cache_key(reads, bound, settings)
    assert caching.key_is_quick(reads, bound)
    took[0] = 0.01  # slow keys from now (a big global hashed on every call, say)
    caching.cache_key(reads, bound, settings)
    assert caching.key_is_quick(reads, bound)  # one slow key (as a busy machine makes one) is not enough
    caching.cache_key(reads, bound, settings)
    assert not caching.key_is_quick(reads, bound)  # two: the next is computed on a thread
    took[0] = 0.0
    caching.cache_key(reads, bound, settings)
    assert caching.key_is_quick(reads, bound)
    assert not caching.key_is_quick(reads, reads.bind(("x" * 5000,), {}))  # a big input: never in the loop


def test_entries_written_are_held_open_only_until_they_settle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path))
    first = caching.write("t.task", "k1", 1, run=None, secrets=[])
    assert first is not None and caching._READ[first].hold is not None  # just written: held open
    time.sleep(0.01)
    monkeypatch.setattr(caching, "SETTLED_SECONDS", 0.005)  # the first has settled by now
    second = caching.write("t.task", "k2", 2, run=None, secrets=[])
    assert second is not None
    assert caching._READ[first].hold is None and caching._READ[second].hold is not None  # the settled one let go
    monkeypatch.setattr(caching, "SETTLED_SECONDS", 60.0)  # the second stays held
    monkeypatch.setattr(caching, "MAX_HELD", 1)  # no more descriptors to spare: a new entry is read from disk
    third = caching.write("t.task", "k3", 3, run=None, secrets=[])
    assert third is not None and third not in caching._READ
    assert [caching.read("t.task", key) for key in ("k1", "k2", "k3")] == [1, 2, 3]


def test_a_changed_default_or_function_attribute_changes_the_version() -> None:
    """Defaults are evaluated when the def runs: a cell re-run after a constant changed makes a function
    whose source and global reads are the same, but whose default (so whose result) is not."""
    ns: dict[str, Any] = {"__name__": "__main__", "K": 2}
    _cell("def scaled(x, k=K):\n    return x * k\n", ns, "default")
    first = codeversion.code_version(ns["scaled"])
    ns["K"] = 3
    _cell("def scaled(x, k=K):\n    return x * k\n", ns, "default")
    assert codeversion.code_version(ns["scaled"]) != first
    again = codeversion.code_version(ns["scaled"])
    ns["scaled"].table = [1, 2]  # an attribute on the function object travels with its pickle
    assert codeversion.code_version(ns["scaled"]) != again


def _call_of(func: Any) -> Any:
    import inspect

    from flyte_nb.runners.base import Call

    env = flyte.TaskEnvironment(name=f"hot_ship_{abs(hash(func)) % 10**6}")
    task = env.task(func)
    return Call(task=task, arguments=inspect.signature(func).bind(1), settings=task.resolve(), run=None,  # type: ignore[arg-type]
                emit=lambda *a: None, status=lambda phase: None)


def test_shipped_code_is_pickled_once_while_what_it_reaches_is_unchanged() -> None:
    """The warm path's code bytes (runners.calls.shipped_bytes) are kept per function object: the same
    bytes while nothing changed, new bytes (and digest) when a global it reaches changes in place or is
    rebound, and never kept when a value counts by identity (an array too big to hash)."""
    import pickle

    from flyte_nb.runners import calls

    ns: dict[str, Any] = {"__name__": "__main__", "WEIGHTS": [1, 2]}
    _cell("def weigh(x: int) -> int:\n    return x * sum(WEIGHTS)\n", ns, "ship")
    call = _call_of(ns["weigh"])
    blob, digest = calls.shipped_bytes(call)
    again, same = calls.shipped_bytes(call)
    assert again is blob and same == digest  # no second pickle
    ns["WEIGHTS"].append(3)  # changed in place
    changed, other = calls.shipped_bytes(call)
    assert other != digest and pickle.loads(changed)["func"].__globals__["WEIGHTS"] == [1, 2, 3]
    ns["WEIGHTS"] = [5]  # rebound
    rebound, third = calls.shipped_bytes(call)
    assert third not in (digest, other) and pickle.loads(rebound)["func"].__globals__["WEIGHTS"] == [5]

    class Big:  # counted by identity (codeversion.MAX_HASHED_BYTES): its content may change unseen
        nbytes = codeversion.MAX_HASHED_BYTES + 1

    ns["WEIGHTS"] = Big()
    _cell("def heavy(x: int) -> int:\n    return x + (WEIGHTS is not None)\n", ns, "ship-big")
    big_call = _call_of(ns["heavy"])
    first, _ = calls.shipped_bytes(big_call)
    assert calls.shipped_bytes(big_call)[0] is not first  # pickled again every call


def test_a_context_on_the_wire_is_its_dataclass_fields() -> None:
    import dataclasses

    from flyte_nb import context

    task_context = context.TaskContext(action=context.ActionID(name="a1", run_name="r1", project="p"),
                                       attempt_number=2, custom_context={"k": "v"}, version="v3",
                                       data={"nested": [1, {"x": 2}]})
    wire = context.to_wire(task_context)
    assert wire == dataclasses.asdict(task_context)
    assert context.from_wire(wire) == task_context
    assert wire["data"]["nested"] is not task_context.data["nested"]  # a copy, as asdict made


def test_the_blob_store_root_follows_its_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flyte_nb import io

    monkeypatch.delenv("FLYTE_NB_BLOB_DIR", raising=False)
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "one"))
    assert io.host_root() == tmp_path / "one" / "blobs"
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "two"))
    assert io.host_root() == tmp_path / "two" / "blobs"
    monkeypatch.setenv("FLYTE_NB_BLOB_DIR", str(tmp_path / "blobs"))
    assert io.host_root() == tmp_path / "blobs"
