"""End to end through a real IPython kernel, as JupyterLab drives it: jupyter_client execute
requests on the shell channel, outputs and widgets read from the iopub stream, a widget edit
sent back as the frontend's `comm_msg`, and a kernel interrupt. Task calls run in real Docker
containers (the default runner); nothing is mocked.

One kernel serves the module (started once, always shut down by the fixture's finalizer);
the tests run in file order and each leaves the kernel as it found it.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.manager import KernelManager

from .kernels import start_venv_kernel

pytestmark = pytest.mark.docker

KERNEL_NAME = "flyte-nb-e2e"
TIMEOUT = 60.0

TASK_CELL = '''%%flyte_task env=env retries=1 report=True
async def my_task(x: int) -> int:
    import time
    from flyte_nb import report
    print("e2e log line", x, flush=True)
    report.log(f"<p id='e2e'>report of {x}</p>", do_flush=True)
    time.sleep(0.5)  # the report is on screen while the task still runs
    return x * 2
'''


class Executed:
    """What one request made the kernel say: its shell reply and its iopub messages, in order."""

    def __init__(self, reply: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        self.reply = reply
        self.messages = messages

    @property
    def ok(self) -> bool:
        return self.reply.get("content", {}).get("status", "ok") == "ok"

    def of(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stderr")

    @property
    def result(self) -> str:
        results = self.of("execute_result")
        assert len(results) == 1, f"expected one execute_result, got {self.describe()}"
        return results[0]["content"]["data"]["text/plain"]

    def describe(self) -> str:
        return "\n".join(f"{m['msg_type']}: {json.dumps(m['content'])[:300]}" for m in self.messages)


class Kernel:
    """A jupyter_client connection that plays the frontend: executes cells, keeps widget models."""

    def __init__(self, km: KernelManager) -> None:
        self.km = km
        self.kc = km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.models: dict[str, dict[str, Any]] = {}  # comm id -> widget state, as a frontend holds it
        self.label = ""  # docker label of this kernel's containers: flyte-nb.kernel=<KERNEL_ID>

    def next_of(self, msg_id: str, deadline: float) -> dict[str, Any]:
        """The next iopub message answering msg_id (widget messages of any parent are tracked)."""
        while True:
            message = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            self._track_widgets(message)
            if message["parent_header"].get("msg_id") == msg_id:
                return message

    def collect(self, msg_id: str, timeout: float, shell_reply: bool,
                 messages: list[dict[str, Any]] | None = None) -> Executed:
        deadline = time.monotonic() + timeout
        messages = messages if messages is not None else []
        while True:
            message = self.next_of(msg_id, deadline)
            messages.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        reply: dict[str, Any] = {}
        while shell_reply:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        return Executed(reply, messages)

    def execute(self, code: str, timeout: float = TIMEOUT) -> Executed:
        return self.collect(self.kc.execute(code), timeout, shell_reply=True)

    def ok(self, code: str, timeout: float = TIMEOUT) -> Executed:
        done = self.execute(code, timeout)
        assert done.ok and not done.of("error"), f"cell failed: {code!r}\n{done.describe()}"
        return done

    def value(self, expression: str) -> Any:
        """A JSON-able expression evaluated in the kernel."""
        done = self.ok(f"import json as _json\nprint(_json.dumps({expression}))")
        return json.loads(done.stdout)

    # ---- widgets, as the frontend sees them ---------------------------------------------------
    def _track_widgets(self, message: dict[str, Any]) -> None:
        content = message["content"]
        if message["msg_type"] == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.models[content["comm_id"]] = dict(content["data"]["state"])
        elif message["msg_type"] == "comm_msg" and content["comm_id"] in self.models:
            if content["data"].get("method") in ("update", "echo_update"):
                self.models[content["comm_id"]].update(content["data"]["state"])
        elif message["msg_type"] == "comm_close":
            self.models.pop(content["comm_id"], None)

    def widget(self, dom_class: str, among: set[str] | None = None) -> tuple[str, dict[str, Any]]:
        found = [(cid, state) for cid, state in self.models.items()
                 if dom_class in state.get("_dom_classes", []) and (among is None or cid in among)]
        assert len(found) == 1, f"{len(found)} widgets with class {dom_class!r}"
        return found[0]

    def edit_widget(self, comm_id: str, value: str, timeout: float = TIMEOUT) -> Executed:
        """Exactly what JupyterLab sends when the user changes a widget's value."""
        message = self.kc.session.msg("comm_msg", {
            "comm_id": comm_id, "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}})
        self.kc.shell_channel.send(message)
        return self.collect(message["header"]["msg_id"], timeout, shell_reply=False)


def docker_ps(label: str) -> list[dict[str, str]]:
    out = subprocess.run(["docker", "ps", "-a", "--no-trunc", "--filter", f"label={label}", "--format", "{{json .}}"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def status_updates(done: Executed) -> tuple[str, list[str]]:
    """(display id, texts) of the live status line: the cell's first display, then its updates."""
    first = done.of("display_data")[0]
    display_id = first["content"]["transient"]["display_id"]
    assert display_id and first["content"]["data"]["text/plain"] == "⏳ starting"
    texts = [m["content"]["data"]["text/plain"] for m in done.of("update_display_data")
             if m["content"]["transient"]["display_id"] == display_id]
    return display_id, texts


@contextlib.contextmanager
def flyte_kernel(home: Path, name: str, setup: str, extra_env: dict[str, str]) -> Iterator[Kernel]:
    """A real kernel of this venv (the default runner) that ran `setup`; nothing of it outlives the block.

    Standby containers are off, as in the rest of the suite (conftest.py): these tests count a call's
    containers; tests/test_standby.py covers kernels with standbys.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE_NB_")}  # the default runner
    env.update({"FLYTE_NB_STANDBY": "0", **extra_env})
    km = start_venv_kernel(home, name, env)
    kernel: Kernel | None = None
    try:
        kernel = Kernel(km)
        kernel.ok(setup)
        kernel.label = "flyte-nb.kernel=" + kernel.value(
            "__import__('flyte_nb.runners.docker').runners.docker.KERNEL_ID")
        yield kernel
    finally:
        try:
            if kernel is not None:
                kernel.kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
            if kernel is not None and kernel.label:  # nothing of this kernel outlives the module, whatever failed
                for container in docker_ps(kernel.label):
                    subprocess.run(["docker", "rm", "-f", container["ID"]], capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    home = tmp_path_factory.mktemp("kernel")
    with flyte_kernel(home, KERNEL_NAME, "%load_ext flyte_nb\nimport flyte_nb as flyte\n"
                      "env = flyte.TaskEnvironment(name='e2e_env')", {"FLYTE_NB_DATA_DIR": str(home / "data")}) as k:
        yield k


# ---- 1. the extension and the cell magic ----------------------------------------------------------
def test_kernel_is_the_venv_python_and_the_magic_registers_a_task(kernel: Kernel) -> None:
    info = kernel.value("[__import__('sys').executable, __import__('os').getpid()]")
    assert Path(info[0]).resolve() == Path(sys.executable).resolve()
    assert info[1] == kernel.km.provisioner.process.pid

    done = kernel.ok(TASK_CELL)
    assert not done.of("error", "execute_result")
    tasks = kernel.ok("%flyte_tasks").result
    row = next(line for line in tasks.splitlines() if line.startswith("e2e_env.my_task"))
    assert "async" in row and "report=True [decorator]" in row and "retries=1 [decorator]" in row
    assert kernel.value("[type(my_task).__name__, my_task.name, my_task.resolve().value('retries').count]") == \
        ["AsyncFunctionTaskTemplate", "e2e_env.my_task", 1]


# ---- 2. a call: container, live status, streamed logs, report ---------------------------------------------
def test_call_runs_in_a_container_with_live_status_logs_and_report(kernel: Kernel) -> None:
    done = kernel.ok("await my_task(3)")
    assert done.result == "6"
    assert "runner=auto picked 'docker'" in done.stdout

    run = kernel.value("flyte.registry().runs[-1].to_json()")
    assert run["task"] == "e2e_env.my_task" and run["runner"] == "docker" and run["status"] == "succeeded"
    container = run["attempts"][0]["container"]
    assert len(run["attempts"]) == 1 and re.fullmatch(r"[0-9a-f]{12}", container or "")
    runs_table = kernel.ok("%flyte_runs").result
    assert re.search(rf"^{run['id']}\s+e2e_env\.my_task\s+succeeded\s.*{container}", runs_table, re.M)

    # The status line: displayed first, then updated in place under the same transient display id.
    status_id, texts = status_updates(done)
    assert len(texts) >= 2
    assert any("running attempt 1/2" in t and f"[{container}]" in t for t in texts), texts
    assert f"e2e_env.my_task {run['id']}: succeeded attempt 1/2" in texts[-1] and f"[{container}]" in texts[-1]
    assert re.search(r" — peak \d+(\.\d)? [KMG]iB, \d+\.\d CPU-s, \d+\.\ds", texts[-1]), texts[-1]  # what it used
    timeline = kernel.ok("%flyte_timeline").of("execute_result")[0]["content"]["data"]
    assert timeline["text/html"].startswith("<svg") and f'data-run="{run["id"]}"' in timeline["text/html"]
    assert f"e2e_env.my_task {run['id']}" in timeline["text/plain"]

    # The task's log line, streamed into the logs display (the cell's second display).
    logs_id = done.of("display_data")[1]["content"]["transient"]["display_id"]
    assert logs_id != status_id
    logs = [m["content"]["data"] for m in done.of("update_display_data")
            if m["content"]["transient"]["display_id"] == logs_id]
    assert logs and "e2e log line 3\n" in logs[-1]["text/plain"] and "e2e log line 3" in logs[-1]["text/html"]

    # The report (third display) arrives as an update while the task still runs: before "succeeded".
    report_id = done.of("display_data")[2]["content"]["transient"]["display_id"]
    order = [(m["content"]["transient"]["display_id"], m["content"]["data"]) for m in done.of("update_display_data")]
    report_at = next(i for i, (did, data) in enumerate(order)
                     if did == report_id and "report of 3" in html.unescape(data.get("text/html", "")))
    succeeded_at = next(i for i, (did, data) in enumerate(order)
                        if did == status_id and "succeeded" in data["text/plain"])
    assert report_at < succeeded_at
    frame = order[report_at][1]["text/html"]
    assert frame.startswith("<iframe sandbox=") and "<p id='e2e'>report of 3</p>" in html.unescape(frame)
    assert run["report"] and order[report_at][1]["text/plain"].endswith(run["report"])
    assert "<p id='e2e'>report of 3</p>" in Path(run["report"]).read_text()


# ---- 3. the panel: a frontend edit changes the next call's settings ---------------------------------------
def test_panel_edit_from_the_frontend_changes_the_next_call(kernel: Kernel) -> None:
    done = kernel.ok("%flyte_panel my_task")
    opened = {m["content"]["comm_id"] for m in done.of("comm_open")
              if m["content"]["target_name"] == "jupyter.widget"}
    assert len(opened) > 63 and len(done.of("display_data")) == 1
    view = done.of("display_data")[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] in opened and kernel.models[view["model_id"]]["_model_name"] == "VBoxModel"

    editor_id, editor = kernel.widget("flyte-nb-editor-retries-override", opened)
    assert editor["_model_name"] == "TextModel" and editor["value"] == "" and editor["disabled"] is False
    assert kernel.widget("flyte-nb-editor-retries-decorator", opened)[1]["value"] == "1"
    assert kernel.widget("flyte-nb-editor-retries-environment", opened)[1]["disabled"] is True
    effective_id, effective = kernel.widget("flyte-nb-effective-retries", opened)
    error_id, _ = kernel.widget("flyte-nb-error-retries", opened)
    assert html.unescape(effective["value"]) == "<code>1</code> <small>[decorator]</small>"

    # The user types 2 in the override cell of retries.
    edited = kernel.edit_widget(editor_id, "2")
    assert any(m["content"]["comm_id"] == effective_id for m in edited.of("comm_msg")), edited.describe()
    assert html.unescape(kernel.models[effective_id]["value"]) == "<code>2</code> <small>[override]</small>"
    assert kernel.models[error_id]["value"] == ""
    assert kernel.value("[my_task.resolve().value('retries').count, my_task.resolve()['retries'].level.value]") == \
        [2, "override"]

    # An invalid edit shows the error on the row and changes nothing.
    kernel.edit_widget(editor_id, "-1")
    assert "retries=-1 is invalid" in html.unescape(kernel.models[error_id]["value"])
    assert html.unescape(kernel.models[effective_id]["value"]) == "<code>2</code> <small>[override]</small>"
    assert kernel.value("my_task.resolve().value('retries').count") == 2

    # The next call runs with the panel's setting: 1 + 2 attempts allowed.
    call = kernel.ok("await my_task(4)")
    assert call.result == "8"
    run = kernel.value("flyte.registry().runs[-1].to_json()")
    assert run["settings"]["retries"] == {"parameter": "retries", "value": {"count": 2}, "level": "override"}
    assert run["runner"] == "docker" and run["attempts"][0]["container"]
    assert "succeeded attempt 1/3" in status_updates(call)[1][-1]

    # Clearing the cell goes back to the decorator's value (and leaves the kernel as it was).
    kernel.edit_widget(editor_id, "")
    assert kernel.models[error_id]["value"] == ""
    assert html.unescape(kernel.models[effective_id]["value"]) == "<code>1</code> <small>[decorator]</small>"
    assert kernel.value("[my_task.resolve().value('retries').count, dict(flyte.registry().session_overrides("
                        "'e2e_env.my_task'))]") == [1, {}]


# ---- 4. interrupting the kernel stops the task's container --------------------------------------------------
@pytest.mark.parametrize(("kind", "call", "ename"), [("async def", "await slow(1)", "CancelledError"),
                                                      ("def", "slow(1)", "KeyboardInterrupt")])
def test_interrupt_cancels_the_call_and_removes_its_container(kernel: Kernel, kind: str, call: str,
                                                              ename: str) -> None:
    marker = uuid.uuid4().hex[:8]
    kernel.ok(f"%%flyte_task env=env\n{kind} slow(x: int) -> int:\n    import time\n"
              f"    print('sleeping {marker}', flush=True)\n    time.sleep(60)\n    return x\n")
    label = kernel.label
    assert docker_ps(label) == []

    msg_id = kernel.kc.execute(call)
    deadline, before = time.monotonic() + 30, []
    while True:  # wait until the task is running inside its container (its log line is on screen)
        message = kernel.next_of(msg_id, deadline)
        before.append(message)
        shown = message["content"].get("data", {}).get("text/plain", "")
        if message["msg_type"] == "update_display_data" and f"sleeping {marker}" in shown:
            break
        assert message["msg_type"] != "status" or message["content"]["execution_state"] != "idle", \
            "the cell ended before the task ran"
    containers = docker_ps(label)
    assert len(containers) == 1 and containers[0]["State"] == "running"
    assert "flyte-nb.task=e2e_env.slow" in containers[0]["Labels"]

    started = time.monotonic()
    kernel.km.interrupt_kernel()
    done = kernel.collect(msg_id, 20, shell_reply=True, messages=before)
    assert time.monotonic() - started < 15  # not the task's 60 s
    assert done.reply["content"]["status"] == "error" and done.reply["content"]["ename"] == ename
    assert [m["content"]["ename"] for m in done.of("error")] == [ename]
    assert docker_ps(label) == []  # the cell ends only after its container is gone

    run = kernel.value("flyte.registry().runs[-1].to_json()")
    assert run["task"] == "e2e_env.slow" and run["status"] == "cancelled"
    assert containers[0]["ID"].startswith(run["attempts"][0]["container"])
    assert "cancelled" in status_updates(done)[1][-1]
    assert kernel.ok("6 * 7").result == "42"  # the kernel survived and answers
