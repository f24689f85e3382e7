"""The pieces of what a cell shows, in-process (tests/test_kernel_outputs.py measures them in a real kernel):
tracebacks rebuilt from a container's frames, the level naming of a refusal, the panel's grid, the logs
display, the empty report, and the record of settings a view set."""

from __future__ import annotations

import linecache
import re
import traceback
from typing import Any

import ipywidgets as widgets
import pytest

import flyte_nb as flyte
from flyte_nb import tracebacks
from flyte_nb.config.parameters import LEVELS, PARAMETERS, Level
from flyte_nb.display import LogLine, logs_bundle, report_frame
from flyte_nb.magics import logs_text
from flyte_nb.panel import ERROR_SPAN, GRID_COLUMNS, SettingsPanel
from flyte_nb.runs import Attempt, RunRecord, Status


# ---- tracebacks ------------------------------------------------------------------------------------
def _user_function(x: int) -> int:
    y = x * 2
    raise ValueError(f"bad {y}")


def test_the_containers_frames_become_a_traceback_of_the_users_lines() -> None:
    try:
        _user_function(3)
    except ValueError as error:
        frames = tracebacks.frames_of(error.__traceback__)
    assert [f["name"] for f in frames] == ["test_the_containers_frames_become_a_traceback_of_the_users_lines",
                                           "_user_function"]
    rebuilt = tracebacks.attach(ValueError("bad 6"), frames)
    shown = traceback.extract_tb(rebuilt.__traceback__)
    assert [(f.filename, f.name, f.line) for f in shown][-1] == (__file__, "_user_function",
                                                                 'raise ValueError(f"bad {y}")')
    assert shown[-1].lineno == _user_function.__code__.co_firstlineno + 2


def test_a_failed_map_item_shows_the_task_not_flyte_nbs_frames(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="map_frames")

    @env.task
    def square(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x * x

    with pytest.raises(flyte.errors.RuntimeUserError, match="two") as info:  # the SDK's, with the task's frames
        list(flyte.map(square, [1, 2, 3], return_exceptions=False))
    assert info.value.code == "ValueError"
    shown = [frame for frame in traceback.walk_tb(info.value.__traceback__)
             if not frame[0].f_locals.get("__tracebackhide__")]  # what IPython and pytest show
    assert [f.f_code.co_name for f, _ in shown] == ["test_a_failed_map_item_shows_the_task_not_flyte_nbs_frames",
                                                     "square"]


def test_machinery_frames_stay_in_the_container() -> None:
    assert tracebacks.machinery(tracebacks.__file__)
    assert tracebacks.machinery("/usr/lib/python3.11/asyncio/base_events.py")
    assert tracebacks.machinery("/usr/lib/python3.11/threading.py")
    assert not tracebacks.machinery("/tmp/ipykernel_1/123.py") and not tracebacks.machinery(__file__)


@pytest.mark.parametrize("frames", [
    "not a list", [None, 3, "x"], [{"file": 1, "line": 2, "name": "f"}], [{"file": "f.py", "line": -1, "name": "f"}],
    [{"file": "f.py", "line": 10 ** 9, "name": "f"}], [{"file": "f.py", "line": 3, "name": "f", "first": 1,
                                                         "args": ["import", "x y", 3]}],
    [{"file": "f.py", "line": 2, "name": "os.system('x')", "first": 1}],
])
def test_malformed_frames_from_a_container_are_skipped_never_run(frames: Any) -> None:
    error = tracebacks.attach(KeyError("k"), frames)  # never raises; nothing from the data is executed
    assert all(re.fullmatch(r"[\w<>]+|os\.system\('x'\)", f.name) for f in traceback.extract_tb(error.__traceback__))


def test_source_lines_the_kernel_lacks_come_from_the_container() -> None:
    name = "/nonexistent/in-the-image/lib.py"
    frames = [{"file": name, "line": 3, "name": "lib", "first": 1, "args": [], "source": {"2": "a = 1\n",
                                                                                             "3": "raise X\n"}}]
    shown = traceback.extract_tb(tracebacks.attach(RuntimeError(), frames).__traceback__)
    assert shown[-1].line == "raise X"
    linecache.cache.pop(name, None)


def test_a_refused_setting_renders_as_one_line_in_ipython() -> None:
    with pytest.raises(flyte.ConfigError) as info:
        flyte.TaskEnvironment(name="one_line_env", retries=3)
    assert len(info.value._render_traceback_()) == 1
    assert "retries=3 is not allowed at the TaskEnvironment level" in info.value._render_traceback_()[0]


def test_a_refusal_never_lists_the_level_it_refuses() -> None:
    warm = flyte.TaskEnvironment(name="levels_warm", reusable=flyte.ReusePolicy(replicas=2))

    @warm.task
    def w() -> int:
        return 1

    with pytest.raises(flyte.ConfigError) as info:
        w.override(resources=flyte.Resources(cpu=2))
    message = str(info.value)
    assert "not allowed at the task.override() level because the task's environment is reusable" in message
    assert message.endswith("with a reusable environment 'resources' can be set at: TaskEnvironment.")
    with pytest.raises(flyte.ConfigError) as info:
        warm.task(resources=flyte.Resources(cpu=1))(lambda: 1)
    assert "'resources' can be set at: TaskEnvironment, task.override() (if not reusable)." in str(info.value)


# ---- the panel's grid --------------------------------------------------------------------------------
def test_the_panels_errors_span_a_row_of_their_own_inside_the_grid() -> None:
    env = flyte.TaskEnvironment(name="grid_env")

    @env.task
    def work() -> int:
        return 1

    panel = SettingsPanel(task=work, namespace={})
    grid = next(child for child in panel.widget.children if isinstance(child, widgets.GridBox))
    columns = 1 + len(LEVELS) + 1  # parameter, the three levels, the effective value
    assert grid.layout.grid_template_columns == GRID_COLUMNS
    assert "repeat(4, minmax(0, 1fr))" in GRID_COLUMNS and GRID_COLUMNS.startswith("minmax(")
    assert grid.layout.width == "100%"
    assert len(grid.children) == columns + len(PARAMETERS) * (columns + 1)
    for parameter in PARAMETERS:
        error = panel.errors[parameter.name]
        assert error.layout.grid_column == ERROR_SPAN == "1 / -1"  # a full row under its parameter
        assert error.layout.display == "none" and error.value == ""
        assert grid.children.index(error) == grid.children.index(panel.effective[parameter.name]) + 1
        assert all(panel.editors[(parameter.name, level)].layout.min_width == "0" for level in LEVELS)
    panel.editors[("retries", Level.DECORATOR)].value = "-1"
    shown = panel.errors["retries"]
    assert shown.layout.display is None and "retries=-1 is invalid" in shown.value
    assert "overflow-wrap:anywhere" in shown.value  # long messages wrap inside the row
    panel.editors[("retries", Level.DECORATOR)].value = "2"
    assert shown.layout.display == "none" and shown.value == ""
    panel.close()


# ---- logs and reports ----------------------------------------------------------------------------------
def _run(retries: int = 0) -> RunRecord:
    return RunRecord(task="e.t", settings={"retries": {"value": {"count": retries}}}, runner="docker")


def test_the_logs_collapse_the_image_build_and_title_each_attempt() -> None:
    run = _run(retries=2)
    lines: list[LogLine] = []

    def emit(text: str) -> None:
        lines.append(LogLine(run, text))
        run.attempts[-1].logs.append(text)

    run.attempts.append(Attempt(1, 0.0))
    run.status = Status.BUILDING
    for n in range(3):
        emit(f"Step {n}\n")
    run.attempts[-1].build_lines = 3
    run.status = Status.RUNNING
    emit("first try\n")
    run.attempts[-1].status, run.attempts[-1].error = Status.FAILED, "ValueError: nope\nmore"
    run.attempts.append(Attempt(2, 1.0, status=Status.SUCCEEDED))
    emit("second try\n")
    bundle = logs_bundle(lines, run)
    assert bundle["text/plain"] == ("── attempt 1/3 failed: ValueError: nope\n[image build: 3 lines, collapsed]\n"
                                    "first try\n── attempt 2/3 succeeded\nsecond try\n")
    assert "<details><summary>image build (3 lines)</summary>" in bundle["text/html"]
    assert bundle["text/html"].startswith("<details open><summary>logs (2 lines)</summary>")
    text = logs_text(run)
    assert text.startswith("--- attempt 1/3 failed: ValueError: nope (no container)\n"
                           "[3 lines of image build output: %flyte_logs --full ")
    assert "Step 0" not in text and "Step 0" in logs_text(run, full=True)


def test_a_single_attempt_run_has_no_attempt_titles() -> None:
    run = _run()
    run.attempts.append(Attempt(1, 0.0))
    assert logs_bundle([LogLine(run, "hello\n")], run)["text/plain"] == "hello\n"


def test_an_empty_report_is_a_line_of_text_not_a_blank_frame() -> None:
    run = _run()
    run.report = {"main": ""}
    assert "<iframe" not in report_frame(run) and "wrote nothing" in report_frame(run)
    run.report = {"main": "<p>hi</p>"}
    assert report_frame(run).startswith("<iframe")
    from flyte_nb.report import EMPTY_TAB, standalone_html

    assert EMPTY_TAB in standalone_html("t", {"main": " ", "other": "<b>x</b>"})


# ---- settings a view set ------------------------------------------------------------------------------
def test_a_call_records_the_settings_a_view_set_and_the_code_does_not(inprocess: None) -> None:
    env = flyte.TaskEnvironment(name="edits_env")

    @env.task(retries=1)
    def job() -> int:
        return 1

    panel = SettingsPanel(task=job, namespace={})
    panel.editors[("timeout", Level.OVERRIDE)].value = "30"
    flyte.registry().set_override(job.name, {"retries": 2})  # as the sidebar's edit does (edits.apply)
    panel.editors[("queue", Level.ENVIRONMENT)].value = "'gpu'"
    job()
    assert flyte.registry().runs[-1].edits == ["retries=2 from the sidebar", "timeout=30 from the panel",
                                               "queue='gpu' from the panel (TaskEnvironment level)"]
    job.override(retries=0)()  # the call site's own override is code
    assert "retries=2 from the sidebar" not in flyte.registry().runs[-1].edits
    panel.close()


# ---- the README says what the extension does ---------------------------------------------------------
def test_the_readme_names_the_sidebars_default_area_and_allow_root() -> None:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    schema = json.loads((root / "labextension" / "schema" / "plugin.json").read_text())
    readme = (root / "README.md").read_text()
    area = schema["properties"]["area"]["default"]
    assert f"in the {area} area" in readme and f"in the {'left' if area == 'right' else 'right'} area" not in readme
    assert "jupyter lab --allow-root notebooks/" in readme
