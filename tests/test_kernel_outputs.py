"""What a cell shows, measured in a real IPython kernel with tasks in Docker containers (issue 13):
a failing task's traceback names the user's cell and line and nothing of flyte_nb's or asyncio's,
timeouts and refused settings are one line, notices are one stdout line each, %%flyte_task confirms
what it registered, a sidebar override shows in the cell output, and the logs separate attempts
and collapse the image build.

One kernel serves the module; the tests run in file order (the first one sees the kernel's first
notices). Nothing is mocked: the sidebar's edit goes over the comm as labextension/src/bridge.ts sends it.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from typing import Iterator

import pytest

from .test_kernel_e2e import Executed, Kernel, flyte_kernel

pytestmark = pytest.mark.docker

KERNEL_NAME = "flyte-nb-outputs"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_TRACEBACK_LINES = 15


def traceback_of(done: Executed) -> list[str]:
    """The error's traceback as the notebook shows it (colours removed), line by line."""
    errors = done.of("error")
    assert len(errors) == 1, done.describe()
    return ANSI.sub("", "\n".join(errors[0]["content"]["traceback"])).splitlines()


def count_of(done: Executed) -> int:
    return int(done.reply["content"]["execution_count"])


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    home = tmp_path_factory.mktemp("outputs")
    with flyte_kernel(home, KERNEL_NAME, "%load_ext flyte_nb\nimport flyte_nb as flyte",
                      {"FLYTE_NB_DATA_DIR": str(home / "data"), "FLYTE_NB_CACHE_DIR": str(home / "cache")}) as k:
        yield k


# ---- notices ----------------------------------------------------------------------------------------
def test_notices_are_one_stdout_line_once_per_kernel(kernel: Kernel) -> None:
    first = kernel.ok("flyte.init()")
    assert first.stdout == "flyte_nb: runner=auto picked 'docker' (a Docker engine answers)\n"
    assert first.stderr == ""  # was a pink stderr box on every flyte.init()
    again = kernel.ok("flyte.init()")
    assert again.stdout == again.stderr == ""

    warm = "warm = flyte.TaskEnvironment(name='outputs_warm', reusable=flyte.ReusePolicy(replicas=1))"
    done = kernel.ok(warm)
    assert done.stderr == ""  # was two UserWarnings, one with this cell's path, one with validate.py's
    assert done.stdout == ("flyte_nb: ReusePolicy with fewer than 2 replicas: a parent task waiting on a child "
                           "of the same environment can starve it\n")
    assert kernel.ok(warm).stdout == ""


def test_flyte_task_prints_one_confirmation_line(kernel: Kernel) -> None:
    kernel.ok("env = flyte.TaskEnvironment(name='outputs_env')")
    done = kernel.ok("%%flyte_task env=env retries=1\ndef g(x: int) -> int:\n    return x\n\n"
                     "def h(x: int) -> int:\n    return x")
    assert done.stdout == "registered tasks outputs_env.g, outputs_env.h in environment outputs_env with retries=1\n"
    assert done.stderr == "" and not done.of("error", "execute_result")


# ---- tracebacks -------------------------------------------------------------------------------------
BAD_ASYNC = "@env.task\nasync def bad(x: int) -> int:\n    y = x + 1\n    raise ValueError(f'bad value {y}')\n"
BAD_MAGIC = ("%%flyte_task env=env\ndef helper(v: int) -> float:\n    return 1 / (v - v)\n\n"
             "def divide(x: int) -> float:\n    return helper(x)\n")


@pytest.mark.parametrize(("define", "call", "lines", "error"), [
    (BAD_ASYNC, "await bad(1)", [(4, "raise ValueError(f'bad value {y}')")], "ValueError: bad value 2"),
    # through flyte.run (or a parent task) the SDK's RuntimeUserError, with the task's frames
    (BAD_ASYNC, "flyte.run(bad, 2)", [(4, "raise ValueError(f'bad value {y}')")], "RuntimeUserError: bad value 3"),
    # a %%flyte_task cell: its line 1 is the magic, so `return helper(x)` is line 6 of what the user sees
    (BAD_MAGIC, "divide(3)", [(6, "return helper(x)"), (3, "return 1 / (v - v)")],
     "RuntimeUserError: division by zero"),
], ids=["await", "flyte.run", "flyte_task-magic"])
def test_a_failing_task_shows_the_users_cell_and_line_only(kernel: Kernel, define: str, call: str,
                                                           lines: list[tuple[int, str]], error: str) -> None:
    defined = kernel.ok(define)
    done = kernel.execute(call, timeout=180)
    shown = traceback_of(done)
    text = "\n".join(shown)
    assert len(shown) <= MAX_TRACEBACK_LINES, text  # was 96-132 lines
    assert f"Cell In[{count_of(done)}], line 1" in text  # the calling cell
    position = 0
    for number, source in lines:  # the task's frames, as IPython shows a cell's: Cell In[N], line L, the line
        header = text.index(f"Cell In[{count_of(defined)}], line {number}, in ", position)
        assert re.search(rf"----> {number} +{re.escape(source)}", text[header:]), text
        position = header + 1
    for hidden in ("flyte_nb/", "asyncio", "<dynamic-code>", "concurrent", "RemoteTraceback", "shim.py",
                   "direct cause"):  # the task's exception behind the SDK's error: its frames are shown once
        assert hidden not in text, f"{hidden!r} in\n{text}"
    assert error in shown
    run = kernel.value("[r.id for r in flyte.registry().runs if r.parent is None][-1]")
    assert f"%flyte_logs --full {run}" in shown[-1]

    # The whole traceback is one step away: the container's, flyte_nb's frames and all.
    full = kernel.ok(f"%flyte_logs --full {run}").stdout
    assert "flyte_nb/shim.py" in full and lines[-1][1] in full and error.split(": ", 1)[1] in full  # the task's own
    assert "Traceback (most recent call last)" not in kernel.ok(f"%flyte_logs {run}").stdout


@pytest.mark.parametrize(("cell", "frames"), [
    ("%%flyte_task env=env --cell divcell\nq = w * 2\nz = 1 / (w - w)",
     [("line 3, in divcell(w)", "----> 3     z = 1 / (w - w)")]),
    ("%%flyte_task env=env --run 'raises(2)'\ndef raises(x: int) -> int:\n    raise KeyError(x)",
     [("", "----> 1 raises(2)"), ("line 3, in raises(x)", "----> 3     raise KeyError(x)")]),
], ids=["--cell", "--run"])
def test_a_task_the_magic_runs_shows_the_cells_lines_not_the_magics(kernel: Kernel, cell: str,
                                                                    frames: list[tuple[str, str]]) -> None:
    kernel.ok("w = 3")
    done = kernel.execute(cell, timeout=180)
    text = "\n".join(traceback_of(done))
    assert len(text.splitlines()) <= MAX_TRACEBACK_LINES, text  # was 27 lines
    for where, line in frames:
        assert (not where or f"Cell In[{count_of(done)}], {where}" in text) and line in text, text
    assert "flyte_nb/" not in text and "magics.py" not in text


def test_a_timeout_is_one_line_without_a_traceback(kernel: Kernel) -> None:
    kernel.ok("@env.task(timeout=1)\nasync def slow() -> None:\n    import time\n    time.sleep(60)\n")
    shown = traceback_of(kernel.execute("await slow()", timeout=180))
    assert len(shown) == 1, shown  # was 50-64 lines
    assert shown[0].startswith("MaxRuntimeExceededError: task outputs_env.slow attempt 1/1 timed out after "
                               "timeout=1s"), shown
    assert kernel.value("flyte.registry().runs[-1].status.value") == "timed_out"


@pytest.mark.parametrize(("cell", "words"), [
    ("@env.task(retries=-1)\ndef f() -> int:\n    return 1", ["retries=-1", "@env.task decorator level", ">= 0"]),
    ("@env.task(resources=flyte.Resources(cpu=1))\ndef f() -> int:\n    return 1",
     ["resources=Resources(cpu=1)", "@env.task decorator level", "TaskEnvironment, task.override() (if not reusable)"]),
    ("g('not', 'one')", ["TypeError", "task outputs_env.g(x: int) -> int", "too many positional arguments"]),
], ids=["invalid-value", "forbidden-level", "bad-call"])
def test_a_refused_setting_or_call_is_one_line(kernel: Kernel, cell: str, words: list[str]) -> None:
    shown = traceback_of(kernel.execute(cell))
    assert len(shown) == 1, shown  # was 15-41 lines
    assert all(word in shown[0] for word in words), shown


# ---- the sidebar's override in the cell output -----------------------------------------------------------
def test_a_sidebar_override_shows_in_the_output_of_each_call_using_it(kernel: Kernel) -> None:
    kernel.ok("@env.task\ndef ok(x: int) -> int:\n    return x + 1\n")
    plain = kernel.ok("ok(1)")
    assert not any("from the sidebar" in text for text in _status_texts(plain))

    comm_id = uuid.uuid4().hex  # the sidebar's comm, as labextension/src/bridge.ts opens it
    kernel.kc.shell_channel.send(kernel.kc.session.msg("comm_open", {
        "comm_id": comm_id, "target_name": "flyte_nb", "data": {"version": 1, "type": "hello"}}))
    kernel.kc.shell_channel.send(kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
        "version": 1, "type": "edit", "id": 1, "kind": "task", "name": "outputs_env.ok", "level": "override",
        "parameter": "retries", "text": "2"}}))
    assert kernel.value("ok.resolve().value('retries').count") == 2  # the edit was applied (messages in order)

    for call in ("ok(2)", "flyte.run(ok, 3)"):
        done = kernel.ok(call)
        assert any("⚙ retries=2 from the sidebar" in text for text in _status_texts(done)), done.describe()
    assert kernel.value("flyte.registry().runs[-1].edits") == ["retries=2 from the sidebar"]
    kernel.ok("ok.override(retries=0)(4)")  # the call site's own override is code: nothing to say
    assert kernel.value("flyte.registry().runs[-1].edits") == []
    kernel.kc.shell_channel.send(kernel.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}}))
    kernel.ok("flyte.registry().set_override('outputs_env.ok', {'retries': None})")


def _status_texts(done: Executed) -> list[str]:
    return [m["content"]["data"].get("text/plain", "") for m in done.of("display_data", "update_display_data")]


# ---- logs: attempts separated, the image build collapsed --------------------------------------------------
def test_logs_separate_attempts_and_collapse_the_image_build(kernel: Kernel) -> None:
    marker = uuid.uuid4().hex[:12]  # a new image: its build output comes before the task's
    kernel.ok(f"img = flyte.Image.from_debian_base(name='outputs-{marker}').with_env_vars({{'M': '{marker}'}})\n"
              "built = flyte.TaskEnvironment(name='outputs_built', image=img)\n"
              "@built.task(retries=flyte.RetryStrategy(1, backoff=0))\n"
              "def flaky() -> int:\n    import os\n    n = int(os.environ['FLYTE_NB_ATTEMPT'])\n"
              "    print('task line', n, flush=True)\n    if n == 1:\n        raise RuntimeError('first fails')\n"
              "    return n\n")
    try:
        done = kernel.ok("flaky()", timeout=600)
        assert done.result == "2"
        logs_id = done.of("display_data")[1]["content"]["transient"]["display_id"]
        last = [m["content"]["data"] for m in done.of("update_display_data")
                if m["content"]["transient"]["display_id"] == logs_id][-1]
        run = kernel.value("flyte.registry().runs[-1].to_json()")
        build_lines = run["attempts"][0]["build_lines"]
        assert build_lines >= 2 and run["attempts"][1]["build_lines"] == 0
        assert last["text/plain"] == (
            "── attempt 1/2 failed: RuntimeError: first fails\n"
            f"[image build: {build_lines} lines, collapsed]\n"
            "task line 1\n"
            "── attempt 2/2 succeeded\n"
            "task line 2\n")
        rich = last["text/html"]
        assert f"<details><summary>image build ({build_lines} lines)</summary>" in rich  # closed
        assert rich.startswith("<details open><summary>logs (2 lines)</summary>")  # the task's own, shown
        assert rich.index("attempt 1/2 failed") < rich.index("task line 1") < rich.index("attempt 2/2 succeeded")

        logs = kernel.ok(f"%flyte_logs {run['id']}").stdout
        assert logs.startswith("--- attempt 1/2 failed: RuntimeError: first fails (")
        assert f"[{build_lines} lines of image build output: %flyte_logs --full {run['id']} shows them]" in logs
        assert "--- attempt 2/2 succeeded (" in logs and "task line 2" in logs
        full = kernel.ok(f"%flyte_logs --full {run['id']}").stdout
        assert f"building " in full and "raise RuntimeError('first fails')" in full
    finally:
        tag = kernel.value("img.uri")
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)  # ours alone


def test_an_empty_report_says_so_instead_of_a_blank_frame(kernel: Kernel) -> None:
    kernel.ok("@env.task(report=True)\ndef quiet() -> int:\n    return 1\n")
    done = kernel.ok("quiet()")
    reports = [m["content"]["data"] for m in done.of("update_display_data")
               if "report of" in m["content"]["data"].get("text/plain", "")]
    assert reports, done.describe()
    assert reports[-1]["text/plain"].endswith(" (empty: the task wrote nothing to it)")
    assert "<iframe" not in reports[-1]["text/html"] and "wrote nothing" in reports[-1]["text/html"]



# ---- a cache hit, served in the cell's own thread ---------------------------------------------------------
SUBMITTED = """
from flyte_nb import cache as _cache
from flyte_nb.runtime import runtime as _runtime
_cache.QUICK_KEY, _quick = 10.0, _cache.QUICK_KEY  # every key quick: a hit is served without the runtime loop
_submitted, _submit = [], _runtime().submit
_runtime().submit = lambda coro: _submitted.append(coro) or _submit(coro)
"""


def test_a_cache_hit_shows_in_the_cell_without_a_hop_to_the_loop(kernel: Kernel) -> None:
    kernel.ok("@env.task(cache='auto')\ndef tripled(x: int) -> int:\n    return 3 * x\n")
    kernel.ok("tripled(5)")
    kernel.ok(SUBMITTED)
    try:
        for call in ("tripled(5)", "flyte.run(tripled, 5)"):
            done = kernel.ok(call)
            texts = _status_texts(done)
            assert any(": cache hit (no container)" in text for text in texts), done.describe()
        assert kernel.value("[len(_submitted), [r.cache for r in flyte.registry().runs[-2:]]]") == [0, ["hit", "hit"]]
    finally:
        kernel.ok("del _runtime().submit\n_cache.QUICK_KEY = _quick")
