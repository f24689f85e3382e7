"""The sidebar's comm protocol (flyte_nb/bridge.py) against a real IPython kernel.

The test plays the JupyterLab extension over jupyter_client: it opens comms on the shell
channel and reads the kernel's comm messages from iopub, exactly as labextension/src/bridge.ts
does. One kernel serves the module, with the local subprocess runner (the Docker runner is driven
by the browser test, ui-tests/); the tests run in file order.
"""

from __future__ import annotations

import json
import os
import queue
import re
import time
import uuid
from typing import Any, Iterator

import pytest
from jupyter_client.manager import KernelManager

import flyte_nb as flyte
from flyte_nb import bridge
from flyte_nb.config.parameters import PARAMETERS

from .kernels import start_venv_kernel

TIMEOUT = 60.0
KERNEL_NAME = "flyte-nb-bridge"


class Frontend:
    """A jupyter_client connection that speaks the sidebar's side of the protocol."""

    def __init__(self, km: KernelManager) -> None:
        self.kc = km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.inbox: list[dict[str, Any]] = []  # iopub messages read so far, not yet consumed

    def _read(self, timeout: float) -> dict[str, Any]:
        return self.kc.get_iopub_msg(timeout=timeout)

    def wait_for(self, predicate: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first iopub message (already read or new) that matches; consumes it."""
        for index, message in enumerate(self.inbox):
            if predicate(message):
                return self.inbox.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._read(max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                seen = "\n".join(f"{m['msg_type']}: {json.dumps(m['content'])[:200]}" for m in self.inbox)
                raise AssertionError(f"no matching message within {timeout}s; unconsumed:\n{seen}") from None
            if predicate(message):
                return message
            self.inbox.append(message)

    def comm_data(self, comm_id: str, kind: str, timeout: float = TIMEOUT, **match: Any) -> dict[str, Any]:
        """The next comm_msg of `kind` on comm_id (and with the given fields)."""
        def matches(message: dict[str, Any]) -> bool:
            content = message["content"]
            data = content.get("data") or {}
            return (message["msg_type"] == "comm_msg" and content.get("comm_id") == comm_id
                    and data.get("type") == kind and all(data.get(k) == v for k, v in match.items()))

        return self.wait_for(matches, timeout)["content"]["data"]

    def execute(self, code: str) -> None:
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        assert reply["content"]["status"] == "ok", f"{code!r} failed: {reply['content']}"

    def value(self, expression: str) -> Any:
        msg_id = self.kc.execute(f"import json as _j; print(_j.dumps({expression}))")
        message = self.wait_for(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream")
        return json.loads(message["content"]["text"])

    def open(self, data: dict[str, Any]) -> str:
        comm_id = uuid.uuid4().hex
        self.kc.shell_channel.send(self.kc.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": "flyte_nb", "data": data}))
        return comm_id

    def send(self, comm_id: str, data: dict[str, Any]) -> None:
        self.kc.shell_channel.send(self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))

    def close(self, comm_id: str) -> None:
        self.kc.shell_channel.send(self.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}}))


@pytest.fixture(scope="module")
def frontend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    home = tmp_path_factory.mktemp("bridge")
    env = {**os.environ, "FLYTE_NB_RUNNER": "local", "FLYTE_NB_DATA_DIR": str(home / "data")}
    km = start_venv_kernel(home, KERNEL_NAME, env)
    client = None
    try:
        client = Frontend(km)
        yield client
    finally:
        if client is not None:
            client.kc.stop_channels()
        km.shutdown_kernel(now=True)


V = bridge.VERSION
state: dict[str, str] = {}


def test_a_kernel_without_flyte_nb_closes_the_sidebars_comm(frontend: Frontend) -> None:
    comm_id = frontend.open({"version": V, "type": "hello"})
    closed = frontend.wait_for(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == comm_id)
    assert closed["content"]["comm_id"] == comm_id


def test_load_ext_opens_a_comm_from_the_kernel(frontend: Frontend) -> None:
    frontend.execute("%load_ext flyte_nb")
    opened = frontend.wait_for(lambda m: m["msg_type"] == "comm_open")
    assert opened["content"]["target_name"] == "flyte_nb"
    assert opened["content"]["data"] == {"version": V, "type": "announce"}
    # Until a sidebar says hello the bridge follows nothing: no listeners, nobody to insert a cell.
    assert frontend.value("[__import__('flyte_nb.bridge').bridge.request_insert('z = 0'), "
                          "len(__import__('flyte_nb.runtime').runtime.runtime().log_listeners)]") == [False, 0]
    # The sidebar answers an announce with hello on the kernel's comm.
    announced = opened["content"]["comm_id"]
    frontend.send(announced, {"version": V, "type": "hello"})
    hello = frontend.comm_data(announced, "hello")
    assert [p["name"] for p in hello["parameters"]] == [p.name for p in PARAMETERS]
    frontend.close(announced)


def test_hello_sends_the_table_with_schemas_the_registry_and_the_runs(frontend: Frontend) -> None:
    comm_id = frontend.open({"version": V, "type": "hello"})
    state["comm"] = comm_id
    hello = frontend.comm_data(comm_id, "hello")
    assert hello["version"] == V and hello["flyte_nb"] == flyte.__version__
    assert [lv["name"] for lv in hello["levels"]] == ["environment", "decorator", "override", "default"]
    rows = {p["name"]: p for p in hello["parameters"]}
    assert len(rows) == 21
    assert rows["resources"]["rules"] == {"environment": "yes", "decorator": "no", "override": "if not reusable"}
    assert rows["report"]["schema"] == {"type": "boolean"}
    assert rows["max_inline_io_bytes"]["schema"]["minimum"] == 0
    assert frontend.comm_data(comm_id, "registry") == {"version": V, "type": "registry", "environments": []}
    assert frontend.comm_data(comm_id, "runs")["runs"] == []


def test_defining_an_environment_and_a_task_updates_the_tree(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.execute("import flyte_nb as flyte\n"
                     "env = flyte.TaskEnvironment(name='side_env', resources=flyte.Resources(cpu=1))\n"
                     "@env.task(retries=2, report=True)\n"
                     "async def work(x: int) -> int:\n"
                     "    from flyte_nb import report\n"
                     "    print('working on', x)\n"
                     "    report.log(f'<p>report {x}</p>', do_flush=True)\n"
                     "    return x * 2\n")
    tree = frontend.comm_data(comm_id, "registry",
                              environments=[{"name": "side_env", "tasks": [{"name": "side_env.work",
                                                                            "function": "work", "overrides": []}]}])
    assert tree["environments"][0]["name"] == "side_env"


def _row(entity: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in entity["rows"] if r["parameter"] == name)


def test_select_sends_three_levels_effective_values_and_disabled_reasons(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.send(comm_id, {"version": V, "type": "select", "kind": "task", "name": "side_env.work"})
    entity = frontend.comm_data(comm_id, "entity")
    assert entity["kind"] == "task" and entity["name"] == "side_env.work" and len(entity["rows"]) == 21
    retries = _row(entity, "retries")
    assert retries["cells"]["decorator"]["text"] == "2" and retries["cells"]["decorator"]["set"]
    assert retries["effective"] == {"value": {"count": 2}, "code": "2", "level": "decorator"}
    assert "can be set at: @env.task decorator, task.override()" in retries["cells"]["environment"]["disabled"]
    assert retries["cells"]["override"]["disabled"] is None
    resources = _row(entity, "resources")
    assert resources["cells"]["environment"]["text"] == "flyte.Resources(cpu=1)"
    assert resources["effective"]["level"] == "environment"
    assert _row(entity, "cache")["cells"]["decorator"]["text"] == "(unset)"  # a choice, not Python
    # Insert code in the notebook's own names (env, not side_env) with the task's real body.
    assert entity["code"].startswith("import flyte_nb as flyte\n") and "@env.task(retries=2, report=True)" in entity["code"]
    assert "    return x * 2" in entity["code"] and "..." not in entity["code"]


def test_override_edits_change_the_kernels_effective_value(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 7, "kind": "task", "name": "side_env.work",
                            "level": "override", "parameter": "retries", "text": "5"})
    result = frontend.comm_data(comm_id, "edit_result", reply_to=7)
    assert result["ok"] and result["error"] is None
    entity = frontend.comm_data(comm_id, "entity")
    assert _row(entity, "retries")["effective"] == {"value": {"count": 5}, "code": "5", "level": "override"}
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 8, "kind": "task", "name": "side_env.work",
                            "level": "override", "parameter": "resources",
                            "text": "flyte.Resources(cpu=2, memory='1Gi')"})
    assert frontend.comm_data(comm_id, "edit_result", reply_to=8)["ok"]
    # The kernel's own view: the next call runs with them.
    assert frontend.value("[work.resolve()['retries'].level.value, work.resolve().value('retries').count, "
                          "work.resolve()['resources'].level.value, str(work.resolve().value('resources').cpu)]") \
        == ["override", 5, "override", "2"]


def test_invalid_edits_come_back_as_field_errors_and_change_nothing(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 9, "kind": "task", "name": "side_env.work",
                            "level": "decorator", "parameter": "retries", "text": "-1"})
    result = frontend.comm_data(comm_id, "edit_result", reply_to=9)
    assert not result["ok"] and result["parameter"] == "retries" and result["level"] == "decorator"
    assert "retries=-1 is invalid" in result["error"]["message"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 10, "kind": "task", "name": "side_env.work",
                            "level": "environment", "parameter": "retries", "text": "3"})
    refused = frontend.comm_data(comm_id, "edit_result", reply_to=10)
    assert not refused["ok"] and "retries" in refused["error"]["message"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 11, "kind": "task", "name": "side_env.work",
                            "level": "override", "parameter": "timeout", "text": "not python("})
    assert "could not evaluate" in frontend.comm_data(comm_id, "edit_result", reply_to=11)["error"]["message"]
    assert frontend.value("work.resolve().value('retries').count") == 5


def test_if_not_reusable_cells_are_disabled_with_the_reason(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 12, "kind": "task", "name": "side_env.work",
                            "level": "override", "parameter": "resources", "text": ""})
    assert frontend.comm_data(comm_id, "edit_result", reply_to=12)["ok"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 13, "kind": "environment", "name": "side_env",
                            "level": "environment", "parameter": "reusable", "text": "flyte.ReusePolicy(replicas=2)"})
    assert frontend.comm_data(comm_id, "edit_result", reply_to=13)["ok"]
    entity = frontend.comm_data(comm_id, "entity", reusable=True)
    assert "only if not reusable" in _row(entity, "resources")["cells"]["override"]["disabled"]
    frontend.send(comm_id, {"version": V, "type": "edit", "id": 14, "kind": "environment", "name": "side_env",
                            "level": "environment", "parameter": "reusable", "text": ""})
    assert frontend.comm_data(comm_id, "edit_result", reply_to=14)["ok"]
    entity = frontend.comm_data(comm_id, "entity", reusable=False)
    assert _row(entity, "resources")["cells"]["override"]["disabled"] is None


def test_a_run_streams_status_logs_and_report(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.execute("result = await work(21)")
    assert frontend.value("result") == 42
    run_id = frontend.value("flyte.registry().runs[-1].id")
    statuses = []
    while "succeeded" not in statuses:
        statuses.append(frontend.comm_data(comm_id, "run")["run"]["status"])
    assert statuses[0] == "queued" and "running" in statuses
    log = frontend.comm_data(comm_id, "log", run=run_id)
    assert "working on 21" in "".join(log["lines"])
    report = frontend.comm_data(comm_id, "report", run=run_id)
    assert report["tabs"]["main"] == "<p>report 21</p>" and report["path"].endswith(".html")
    frontend.send(comm_id, {"version": V, "type": "get_run", "id": 15, "run": run_id})
    detail = frontend.comm_data(comm_id, "run_detail", reply_to=15)
    assert detail["run"]["status"] == "succeeded" and "working on 21" in detail["logs"]
    assert detail["report"] == {"main": "<p>report 21</p>"}
    assert detail["settings"]["retries"]["level"] == "override"
    frontend.send(comm_id, {"version": V, "type": "get_run", "id": 16, "run": "r999"})
    assert "no run 'r999'" in frontend.comm_data(comm_id, "error", reply_to=16)["message"]


def test_the_timeline_comes_on_request_with_what_each_run_used(frontend: Frontend) -> None:
    """Runs carry each attempt's usage figures (no samples); the timeline has the samples, nested under parents."""
    comm_id = state["comm"]
    run_id = frontend.value("flyte.registry().runs[-1].id")
    frontend.send(comm_id, {"version": V, "type": "get_run", "id": 17, "run": run_id})
    detail = frontend.comm_data(comm_id, "run_detail", reply_to=17)["run"]
    usage = detail["attempts"][-1]["usage"]
    assert re.fullmatch(r"peak \S+ \S+, \d+\.\d CPU-s, \d+\.\ds", detail["used"]), detail["used"]  # the run list's
    assert usage["source"] == "process" and usage["peak_memory"] > 0 and "samples" not in usage
    frontend.send(comm_id, {"version": V, "type": "get_timeline", "id": 18, "run": None})
    data = frontend.comm_data(comm_id, "timeline", reply_to=18)
    row = next(row for row in data["rows"] if row["id"] == run_id)
    assert row["status"] == "succeeded" and row["depth"] == 0 and row["samples"] and row["peak_memory"] > 0
    assert row["used"].startswith("peak ") and data["colors"]["succeeded"].startswith("#")
    frontend.send(comm_id, {"version": V, "type": "get_timeline", "id": 19, "run": run_id})
    assert [row["id"] for row in frontend.comm_data(comm_id, "timeline", reply_to=19)["rows"]] == [run_id]
    frontend.send(comm_id, {"version": V, "type": "get_timeline", "id": 20, "run": "r999"})
    assert "no run 'r999'" in frontend.comm_data(comm_id, "error", reply_to=20)["message"]


HITS_FROM_THREADS = """
import os, tempfile
from concurrent.futures import ThreadPoolExecutor
import flyte_nb as flyte
from flyte_nb import cache as _cache
from flyte_nb.runtime import runtime as _runtime
os.environ["FLYTE_NB_CACHE_DIR"] = tempfile.mkdtemp()
cached_env = flyte.TaskEnvironment(name="bridge_cached")

@cached_env.task(cache="auto")
def twice(x: int) -> int:
    return 2 * x

first = twice(4)
_cache.QUICK_KEY, _quick = 10.0, _cache.QUICK_KEY  # every key quick: each hit is served in its caller's thread
_submitted, _submit = [], _runtime().submit
_runtime().submit = lambda coro: _submitted.append(coro) or _submit(coro)
try:
    with ThreadPoolExecutor(8) as pool:
        hits = list(pool.map(twice, [4] * 16))
finally:
    del _runtime().submit
    _cache.QUICK_KEY = _quick
"""


def test_cache_hits_served_in_other_threads_reach_the_sidebar(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.execute(HITS_FROM_THREADS)
    assert frontend.value("[first, hits, len(_submitted)]") == [8, [8] * 16, 0]  # not one hop to the loop
    hit_ids = set(frontend.value("[r.id for r in flyte.registry().runs if r.cache == 'hit']"))
    assert len(hit_ids) == 16
    cached: set[str] = set()
    while cached != hit_ids:
        run = frontend.comm_data(comm_id, "run")["run"]
        if run["status"] == "cached":
            assert run["id"] in hit_ids and run["cache"] == "hit"
            cached.add(run["id"])


def test_insert_code_reaches_the_sidebar_and_closing_detaches(frontend: Frontend) -> None:
    comm_id = state["comm"]
    frontend.execute("from flyte_nb.bridge import request_insert\nsent = request_insert('x = 1')")
    assert frontend.comm_data(comm_id, "insert_cell")["code"] == "x = 1"
    assert frontend.value("sent") is True
    # The widget panel's "Insert code" goes through the sidebar when one is connected.
    frontend.execute("from flyte_nb.panel import SettingsPanel\n"
                     "panel = SettingsPanel.for_name('side_env.work')\npanel.insert_code()")
    code = frontend.comm_data(comm_id, "insert_cell")["code"]
    # ... the sidebar's own code (codegen.notebook_code): the kernel's variable `env`, the real body.
    assert "@env.task(retries=2, report=True)" in code and code.endswith("work = work.override(retries=5)")
    assert "return x * 2" in code and "..." not in code
    assert frontend.value("panel.message.value") == "inserted as a new cell below"
    frontend.close(comm_id)
    time.sleep(0.5)
    assert frontend.value("len(__import__('flyte_nb.bridge').bridge.bridge().connections)") == 0
    assert frontend.value("__import__('flyte_nb.bridge').bridge.request_insert('y = 2')") is False


# ---- the same functions in-process (no kernel) -----------------------------------------------------
def test_entity_of_an_environment_disables_the_task_levels() -> None:
    flyte.TaskEnvironment(name="solo_env", queue="q1")
    entity = bridge.entity("environment", "solo_env")
    queue = _row(entity, "queue")
    assert queue["cells"]["environment"]["text"] == "'q1'" and queue["effective"]["level"] == "environment"
    assert queue["cells"]["decorator"]["disabled"] == "open a task to edit this level"
    assert _row(entity, "name")["cells"]["environment"]["disabled"] == "name is fixed when the environment is created"
    result = bridge.edit({"id": 1, "kind": "environment", "name": "solo_env", "level": "decorator",
                          "parameter": "queue", "text": "'q2'"}, {})
    assert not result["ok"] and "open a task" in result["error"]["message"]
    result = bridge.edit({"id": 2, "kind": "environment", "name": "gone", "level": "environment",
                          "parameter": "queue", "text": "'q2'"}, {})
    assert not result["ok"] and "no environment named 'gone'" in result["error"]["message"]
