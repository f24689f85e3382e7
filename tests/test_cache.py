"""The task cache against the real Docker engine: hits start no container, misses do.

Tasks are defined in cells of a real IPython shell, as in a notebook, so the code-version
tests (a helper edited in another cell) exercise the same path a user does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import docker
import pytest
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
from flyte_nb import cache
from flyte_nb.codeversion import code_version
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import Status

pytestmark = pytest.mark.docker


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    shell = InteractiveShell.instance()
    shell.run_cell("import flyte_nb as flyte\nenv = flyte.TaskEnvironment(name='cache_env')", store_history=False)
    yield shell
    for name in ("env", "secret_env", "helper", "square", "FACTOR", "slow", "leak", "out"):
        shell.user_ns.pop(name, None)
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


def cell(shell: Any, code: str) -> Any:
    result = shell.run_cell(code, store_history=False)
    result.raise_error()
    return result.result


def runs_of(task: str) -> list[Any]:
    return [run for run in flyte.registry().runs if run.task == task]


SQUARE = """
def helper(x):
    return x * FACTOR

@env.task(cache="auto")
def square(x: int) -> int:
    print("computing", x)
    return helper(x) * x
"""


def test_auto_hits_without_a_container_and_misses_on_new_inputs(ip: Any) -> None:
    cell(ip, "FACTOR = 1")
    cell(ip, SQUARE)
    assert cell(ip, "square(3)") == 9
    assert cell(ip, "square(3)") == 9
    assert cell(ip, "square(4)") == 16
    first, hit, other = runs_of("cache_env.square")
    assert first.status is Status.SUCCEEDED and first.cache == "written" and first.attempts[0].container
    assert hit.status is Status.CACHED and hit.cache == "hit" and hit.attempts == []  # no container started
    assert other.status is Status.SUCCEEDED and len(other.attempts) == 1
    assert len(flyte.cache.list("cache_env.square")) == 2


def test_editing_a_helper_in_another_cell_invalidates(ip: Any) -> None:
    cell(ip, "FACTOR = 1")
    cell(ip, SQUARE)
    before = code_version(ip.user_ns["square"].func)
    assert cell(ip, "square(5)") == 25
    cell(ip, "def helper(x):\n    return x * FACTOR + 1\n")  # the helper, edited in a later cell
    assert code_version(ip.user_ns["square"].func) != before
    assert cell(ip, "square(5)") == 30
    cell(ip, "FACTOR = 2")  # a global the helper reads
    assert cell(ip, "square(5)") == 55
    statuses = [run.status for run in runs_of("cache_env.square")]
    assert statuses == [Status.SUCCEEDED] * 3
    cell(ip, SQUARE.replace("def helper(x):\n    return x * FACTOR", "def helper(x):\n    return x * FACTOR + 1"))
    assert cell(ip, "square(5)") == 55 and runs_of("cache_env.square")[-1].status is Status.CACHED  # same code again


def test_override_always_runs_and_rewrites_disable_never_touches(ip: Any) -> None:
    cell(ip, "FACTOR = 1")
    cell(ip, SQUARE)
    cell(ip, "square(2)")
    entry = Path(flyte.cache.list("cache_env.square")[0].path)
    written = entry.stat().st_mtime_ns
    assert cell(ip, "square.override(cache='override')(2)") == 4
    assert runs_of("cache_env.square")[-1].status is Status.SUCCEEDED  # ran although an entry existed
    assert entry.stat().st_mtime_ns > written  # and rewrote it
    assert cell(ip, "square.override(cache='disable')(7)") == 49
    assert runs_of("cache_env.square")[-1].cache is None
    assert cell(ip, "square.override(cache='disable')(2)") == 4
    assert runs_of("cache_env.square")[-1].status is Status.SUCCEEDED  # disable does not read either
    assert len(flyte.cache.list("cache_env.square")) == 1


def test_version_override_ignored_inputs_and_salt(ip: Any) -> None:
    cell(ip, """
@env.task(cache=flyte.Cache("auto", version_override="v1", ignored_inputs=("verbose",)))
def square(x: int, verbose: bool = False) -> int:
    return x * x
""")
    assert cell(ip, "square(3, verbose=False)") == 9
    assert cell(ip, "square(3, verbose=True)") == 9
    assert runs_of("cache_env.square")[-1].status is Status.CACHED  # an ignored input does not count
    cell(ip, """
@env.task(cache=flyte.Cache("auto", version_override="v1", ignored_inputs=("verbose",)))
def square(x: int, verbose: bool = False) -> int:
    return x * x + 0  # edited, but the version is pinned
""")
    assert cell(ip, "square(3)") == 9 and runs_of("cache_env.square")[-1].status is Status.CACHED
    assert cell(ip, "square.override(cache=flyte.Cache('auto', version_override='v1', salt='s2'))(3)") == 9
    assert runs_of("cache_env.square")[-1].status is Status.SUCCEEDED  # salt joins the key
    assert cell(ip, "square.override(cache=flyte.Cache('auto', version_override='v2'))(3)") == 9
    assert runs_of("cache_env.square")[-1].status is Status.SUCCEEDED  # so does the version
    with pytest.raises(flyte.ConfigError, match="ignored_inputs.*'nope'.*not inputs"):
        cell(ip, "square.override(cache=flyte.Cache('auto', ignored_inputs=('nope',)))(3)")


def test_a_corrupt_or_truncated_entry_is_reported_once_and_recomputed(ip: Any, capsys: Any) -> None:
    cell(ip, "FACTOR = 1")
    cell(ip, SQUARE)
    cell(ip, "square(6)")
    entry = Path(flyte.cache.list("cache_env.square")[0].path)
    data = entry.read_bytes()
    entry.write_bytes(data[:-5])  # truncated
    capsys.readouterr()
    assert cell(ip, "square(6)") == 36
    assert runs_of("cache_env.square")[-1].status is Status.SUCCEEDED  # recomputed, not returned
    assert "is corrupt (truncated: " in capsys.readouterr().out
    assert [e.path for e in flyte.cache.list("cache_env.square")] == [str(entry)]  # rewritten, valid again
    data = entry.read_bytes()
    entry.write_bytes(data[:-3] + b"xyz")  # same length, bytes changed
    assert cell(ip, "square(6)") == 36 and runs_of("cache_env.square")[-1].status is Status.SUCCEEDED
    assert "is corrupt (checksum mismatch)" in capsys.readouterr().out
    assert cell(ip, "square(6)") == 36 and runs_of("cache_env.square")[-1].status is Status.CACHED


def test_serialize_makes_identical_concurrent_calls_wait_for_one(ip: Any) -> None:
    cell(ip, """
import asyncio
@env.task(cache=flyte.Cache("auto", serialize=True))
async def slow(x: int) -> int:
    await asyncio.sleep(1)
    return x + 1
""")
    assert cell(ip, "await asyncio.gather(*(slow(1) for _ in range(3)))") == [2, 2, 2]
    statuses = sorted(run.status.value for run in runs_of("cache_env.slow"))
    assert statuses == ["cached", "cached", "succeeded"]


def test_an_output_holding_a_secret_is_not_cached(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_CACHE_TOKEN", "s3cr3t-value-123")
    cell(ip, """
import os
secret_env = flyte.TaskEnvironment(name="cache_secret_env", secrets="CACHE_TOKEN")
@secret_env.task(cache="auto")
def leak() -> str:
    return "token=" + os.environ["CACHE_TOKEN"]
""")
    assert cell(ip, "leak()") == "token=s3cr3t-value-123"
    assert runs_of("cache_secret_env.leak")[-1].cache == "not written"
    assert flyte.cache.list("cache_secret_env.leak") == []
    cache_root = cache.root()
    assert not cache_root.exists() or all(b"s3cr3t" not in p.read_bytes() for p in cache_root.rglob("*") if p.is_file())


def test_max_age_expires_entries(ip: Any) -> None:
    import datetime
    import time

    cell(ip, "FACTOR = 1")
    ip.user_ns["datetime"] = datetime
    cell(ip, SQUARE.replace('cache="auto"', 'cache=flyte.Cache("auto", max_age=datetime.timedelta(hours=1))'))
    cell(ip, "square(8)")
    entry = Path(flyte.cache.list("cache_env.square")[0].path)
    header = entry.read_bytes().split(b"\n")[1]
    aged = header.replace(b'"created": ', b'"created": 1000.0, "was": ')  # written long ago
    entry.write_bytes(entry.read_bytes().replace(header, aged))
    assert cell(ip, "square(8)") == 64 and runs_of("cache_env.square")[-1].status is Status.SUCCEEDED
    assert time.time() - flyte.cache.list("cache_env.square")[0].created < 60  # rewritten now


def test_list_clear_and_the_magic(ip: Any) -> None:
    cell(ip, "FACTOR = 1")
    cell(ip, SQUARE)
    cell(ip, "square(1); square(2)")
    ip.run_line_magic("load_ext", "flyte_nb")
    table = ip.run_line_magic("flyte_cache", "")
    assert [row[0] for row in table.rows] == ["cache_env.square"] * 2
    assert all(row[4] == "int" for row in table.rows) and str(cache.root()) in table.title
    ip.run_line_magic("flyte_cache", "clear --task cache_env.square")
    assert flyte.cache.list() == []
    assert cell(ip, "square(1)") == 1 and runs_of("cache_env.square")[-1].status is Status.SUCCEEDED


def test_value_digest_is_canonical_for_plain_data() -> None:
    assert cache.value_digest({"a": 1, "b": {2, 3}}) == cache.value_digest({"b": {3, 2}, "a": 1})
    assert cache.value_digest([1, 2]) != cache.value_digest((1, 2))
    assert cache.value_digest(1) != cache.value_digest(1.0) != cache.value_digest(True)


def test_cache_works_with_every_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path / "cache"))
    env = flyte.TaskEnvironment(name="cache_runners")

    @env.task(cache="auto")
    def plus(x: int) -> int:
        return x + 1

    for runner in ("local", "inprocess"):
        flyte.init(runner=runner, quiet=True)
        flyte.cache.clear()
        assert plus(1) == 2 and plus(1) == 2
        assert [r.status for r in runs_of("cache_runners.plus")][-2:] == [Status.SUCCEEDED, Status.CACHED]


VERSION_EDITS = [  # (setup, task body, edit): the edit must change the task's code version
    ("class Base:\n    def f(self):\n        return 1\nclass C(Base):\n    pass\n", "return C().f()",
     "class Base:\n    def f(self):\n        return 2\nclass C(Base):\n    pass\n"),
    ("class C:\n    @property\n    def p(self):\n        return 1\n", "return C().p",
     "class C:\n    @property\n    def p(self):\n        return 2\n"),
    ("import functools\n@functools.lru_cache\ndef g():\n    return 1\n", "return g()",
     "import functools\n@functools.lru_cache\ndef g():\n    return 2\n"),
    ("import functools\ndef g(k):\n    return k\nh = functools.partial(g, k=2)\n", "return h()",
     "h = functools.partial(g, k=3)\n"),
    ("CFG = {'model': {'opt': {'sched': {'lr': 0.1}}}}\n", "return CFG['model']['opt']['sched']['lr']",
     "CFG = {'model': {'opt': {'sched': {'lr': 0.5}}}}\n"),
    ("import dataclasses\n@dataclasses.dataclass\nclass Conf:\n    lr: float\nCONF = Conf(0.1)\n", "return CONF.lr",
     "CONF = Conf(0.9)\n"),
    ("BIG = list(range(1001))\n", "return sum(BIG)", "BIG = list(range(1002))\n"),
    ("import numpy\nARR = numpy.zeros(10)\n", "return float(ARR.sum())", "ARR = numpy.ones(10)\n"),
    ("K = 1\n", "return K", "K = 2\n"),
]


@pytest.mark.parametrize("setup, body, edit", VERSION_EDITS, ids=[
    "base-class", "property", "lru_cache", "partial", "deep-dict", "dataclass", "long-list", "array", "constant"])
def test_what_the_code_reads_is_in_its_version(setup: str, body: str, edit: str) -> None:
    shell = InteractiveShell.instance()
    namespace_before = set(shell.user_ns)
    try:
        cell(shell, "import flyte_nb as flyte\nenv = flyte.TaskEnvironment(name='version_env')")
        cell(shell, setup)
        cell(shell, f"@env.task(cache='auto')\ndef reader() -> object:\n    {body}\n")
        before = code_version(shell.user_ns["reader"].func)
        cell(shell, setup)  # the same cells again: the same version
        cell(shell, f"@env.task(cache='auto')\ndef reader() -> object:\n    {body}\n")
        assert code_version(shell.user_ns["reader"].func) == before
        cell(shell, edit)
        assert code_version(shell.user_ns["reader"].func) != before
    finally:
        for name in set(shell.user_ns) - namespace_before:
            shell.user_ns.pop(name, None)


def test_input_digests_are_the_same_in_every_kernel() -> None:
    import subprocess
    import sys

    code = ("import dataclasses, enum\nfrom flyte_nb.cache import value_digest\n"
            "@dataclasses.dataclass\nclass Point:\n    x: int\n    y: int\n"
            "class Color(enum.Enum):\n    RED = 1\n"
            "print(value_digest(Point(1, 2)), value_digest(Color.RED), value_digest({'a': {1, 2}}))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1 and len(runs.pop().split()) == 3


def test_unloadable_entries_and_failed_writes_never_fail_a_call(tmp_path: Path, capsys: Any) -> None:
    import hashlib
    import json

    path = cache.write("t.x", "k1", 1, run=None, secrets=[])
    assert path is not None
    header, _, _ = path.read_bytes()[len(cache.MAGIC):].partition(b"\n")
    body = b"cmodule_renamed_since\nThing\n)\x81."  # an intact entry whose output's class is gone
    meta = json.loads(header)
    meta.update(sha256=hashlib.sha256(body).hexdigest(), size=len(body))
    path.write_bytes(cache.MAGIC + json.dumps(meta).encode() + b"\n" + body)
    assert cache.read("t.x", "k1") is cache.MISS and not path.exists()
    assert "cannot be loaded any more" in capsys.readouterr().out
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    import os

    os.environ["FLYTE_NB_CACHE_DIR"] = str(blocked)
    assert cache.write("t.x", "k2", 1, run=None, secrets=[]) is None
    assert "was not cached" in capsys.readouterr().out


def test_a_hit_whose_file_is_gone_recomputes(ip: Any) -> None:
    cell(ip, """
@env.task(cache="auto")
def make(n: int) -> flyte.io.File:
    out = flyte.io.File.new_remote("n.txt")
    with out.open("w") as f:
        f.write(str(n))
    return out
""")
    first = cell(ip, "make(3)")
    Path(first.path).unlink()
    second = cell(ip, "make(3)")
    assert Path(second.path).read_text() == "3" and runs_of("cache_env.make")[-1].status is Status.SUCCEEDED
