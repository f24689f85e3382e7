"""The timeline of runs: its data (tree order, nesting, times, what each used), the cell's SVG and text,
%flyte_timeline, and nested calls in real containers appearing under their parent."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
from flyte_nb.registry import registry
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import Attempt, RunRecord, Status
from flyte_nb.timeline import COLORS, Timeline, svg, text, timeline
from flyte_nb.usage import Usage

MiB = 2**20
SVG = "{http://www.w3.org/2000/svg}"


def _run(task: str, start: float, end: float, status: Status = Status.SUCCEEDED, parent: str | None = None,
         memory: int | None = 100 * MiB) -> RunRecord:
    run = RunRecord(task=task, settings={"resources": {"value": {"memory": "2Gi"}}}, runner="docker", parent=parent)
    run.created, run.ended, run.status = start, end, status
    attempt = Attempt(number=1, started=start + 0.1, ended=end, status=status)
    if memory is not None:
        attempt.usage = Usage()
        for step in range(4):
            attempt.usage.update({"t": step * 0.2, "memory": memory * (step + 1) // 4, "peak": None, "cpu": step * 0.1,
                                  "limit": 2**31, "source": "cgroup v1", "final": step == 3},
                                 received=start + 0.1 + step * (end - start - 0.1) / 3)
    run.attempts.append(attempt)
    return run


def _family() -> list[RunRecord]:
    parent = _run("env.<main>", 1000.0, 1004.0)
    first = _run("env.child", 1001.0, 1002.0, parent=parent.id)
    grandchild = _run("env.leaf", 1001.2, 1001.8, Status.OOM, parent=first.id, memory=64 * MiB)
    second = _run("env.child", 1002.0, 1003.5, Status.FAILED, parent=parent.id)
    other = _run("env.other", 1000.5, 1001.0, Status.CACHED, memory=None)
    other.attempts.clear()
    return [parent, other, first, second, grandchild]  # registry order: by creation, not by tree


def test_rows_come_in_tree_order_with_depth_and_times_from_the_first_start() -> None:
    runs = _family()
    data = timeline(runs, now=2000.0)
    rows = data["rows"]
    assert [(row["task"], row["depth"]) for row in rows] == [
        ("env.<main>", 0), ("env.child", 1), ("env.leaf", 2), ("env.child", 1), ("env.other", 0)]
    assert rows[1]["parent"] == rows[0]["id"] and rows[2]["parent"] == rows[1]["id"]
    assert rows[0]["start"] == 0.0 and rows[0]["end"] == 4.0 and data["span"] == 4.0
    assert rows[1]["attempts"] == [{"number": 1, "status": "succeeded", "start": 1.1, "end": 2.0}]
    assert rows[1]["peak_memory"] == 100 * MiB and rows[1]["samples"][0] == [1.1, 25 * MiB, 0.0]
    assert rows[2]["status"] == "oom" and rows[4]["used"] == "" and rows[4]["samples"] == []
    assert "would fit" in rows[0]["hint"] and rows[0]["hint_more"] is False  # 2 GiB asked, 100 MiB used
    assert rows[2]["hint"].startswith("try ") and rows[2]["hint_more"] is True  # the OOM kill
    assert data["colors"] == COLORS


def test_a_root_selects_its_subtree_and_an_unknown_one_is_an_error() -> None:
    runs = _family()
    first = runs[2]
    assert [row["task"] for row in timeline(runs, root=first.id)["rows"]] == ["env.child", "env.leaf"]
    with pytest.raises(KeyError, match="no run 'r0'"):
        timeline(runs, root="r0")


def test_a_running_call_ends_now() -> None:
    run = _run("env.slow", 1000.0, 1000.0, Status.RUNNING)
    run.ended = None
    run.attempts[0].ended = None
    row = timeline([run], now=1010.0)["rows"][0]
    assert row["end"] == 10.0 and row["attempts"][0]["end"] == 10.0 and not row["done"]


def test_the_svg_draws_a_bar_per_attempt_a_memory_line_and_an_elbow_per_nested_call() -> None:
    runs = _family()
    picture = svg(timeline(runs, now=2000.0))
    root = ElementTree.fromstring(picture)  # well-formed, task names escaped (env.<main>)
    groups = root.findall(f"{SVG}g")
    assert [g.get("data-run") for g in groups] == [runs[i].id for i in (0, 2, 4, 3, 1)]
    bars = [rect for g in groups for rect in g.findall(f"{SVG}rect")]
    assert {bar.get("fill") for bar in bars} >= {COLORS["succeeded"], COLORS["oom"], COLORS["failed"]}
    assert len([p for p in root.findall(f"{SVG}path")]) == 3  # three nested calls, three elbows
    lines = [g.find(f"{SVG}polyline") for g in groups]
    assert sum(line is not None for line in lines) == 4  # every measured run; the cache hit has none
    assert "env.&lt;main&gt;" in picture and "peak 100 MiB of 2 GiB" in picture
    titles = [g.find(f"{SVG}title").text for g in groups]  # type: ignore[union-attr]
    assert titles[2].startswith("env.leaf") and "oom" in titles[2]
    assert "▲ more" in picture and "▼ less" in picture  # the OOM kill, and 2 GiB asked for 100 MiB used


def test_the_svg_of_no_runs_says_so_and_the_text_form_reads_in_a_terminal() -> None:
    assert "no runs yet" in svg(timeline([]))
    assert text(timeline([])) == "no runs yet"
    lines = text(timeline(_family(), now=2000.0), width=20).splitlines()
    assert lines[0].startswith("env.<main> r") and "|" + "█" * 20 + "|" in lines[0]
    assert lines[2].startswith("    env.leaf") and "oom" in lines[2]
    assert repr(Timeline(timeline(_family(), now=2000.0))).count("\n") == 4


# ---- real containers --------------------------------------------------------------------------
@pytest.fixture
def docker_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    mine = {"label": f"{LABEL}.kernel={KERNEL_ID}"}
    assert docker.from_env().containers.list(all=True, filters=mine, ignore_removed=True) == []


env = flyte.TaskEnvironment(name="timeline_env", resources=flyte.Resources(cpu=1, memory="300Mi"))


@env.task
def leaf(n: int) -> int:
    block = b"\x01" * (n * 2**20)
    time.sleep(0.3)
    return len(block) // 2**20


@env.task
def fan_out(n: int) -> int:
    return leaf(n) + leaf(n + 10)


@pytest.mark.docker
def test_nested_calls_in_containers_appear_under_their_parent_with_their_usage(docker_kernel: None) -> None:
    assert fan_out(40) == 90
    rows = timeline(registry().runs)["rows"]
    assert [(row["task"], row["depth"]) for row in rows] == [
        ("timeline_env.fan_out", 0), ("timeline_env.leaf", 1), ("timeline_env.leaf", 1)]
    parent, first, second = rows
    assert first["parent"] == parent["id"] and second["parent"] == parent["id"]
    assert parent["start"] <= first["start"] < first["end"] <= second["start"] < second["end"] <= parent["end"]
    assert all(row["status"] == "succeeded" and row["peak_memory"] and row["samples"] for row in rows)
    assert first["peak_memory"] >= 40 * MiB and second["peak_memory"] >= 50 * MiB
    assert all(row["memory_limit"] == 300 * MiB for row in rows)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flyte_nb")
    shown = shell.run_line_magic("flyte_timeline", "")
    picture = shown._repr_html_()
    ElementTree.fromstring(picture)
    assert all(f'data-run="{row["id"]}"' in picture for row in rows) and "of 300 MiB" in picture
    assert len(shell.run_line_magic("flyte_timeline", first["id"]).data["rows"]) == 1
    with pytest.raises(UsageError, match="no run 'r999'"):
        shell.run_line_magic("flyte_timeline", "r999")
