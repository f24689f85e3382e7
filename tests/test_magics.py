"""%%flyte_task and the line magics, in-process through IPython's InteractiveShell."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte


@pytest.fixture
def ip(inprocess: None) -> Iterator[Any]:
    shell = InteractiveShell.instance()
    shell.run_cell("import flyte_nb as flyte", store_history=False)
    shell.run_line_magic("load_ext", "flyte_nb")
    shell.user_ns["my_env"] = flyte.TaskEnvironment(name="magic_env")
    yield shell
    for name in ("process", "helper", "double", "total", "squares", "my_env", "result"):
        shell.user_ns.pop(name, None)


def test_load_ext_is_fast_and_light() -> None:
    import subprocess
    import sys

    code = ("import time, sys; t=time.perf_counter(); from IPython.core.interactiveshell import InteractiveShell;"
            "ip=InteractiveShell.instance(); t=time.perf_counter(); ip.run_line_magic('load_ext','flyte_nb');"
            "print(time.perf_counter()-t); print('docker' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1:] == ["False", "False"]  # nothing heavy imported by %load_ext


def test_cell_registers_every_function_with_decorator_settings(ip: Any) -> None:
    ip.run_cell_magic("flyte_task", 'env=my_env retries=3 timeout=60 cache="auto" short_name="process"', """
def process(x: int) -> int:
    return helper(x) * 2

async def helper(x: int) -> int:
    return x + 1
""")
    tasks = flyte.registry().tasks
    assert set(tasks) == {"magic_env.process", "magic_env.helper"}
    process = ip.user_ns["process"]
    assert isinstance(process, flyte.TaskTemplate)
    r = process.resolve()
    assert r.value("retries").count == 3 and r["retries"].level.value == "decorator"
    assert r.value("cache").behavior == "auto" and r.value("short_name") == "process"


def test_rerunning_the_cell_replaces_its_tasks(ip: Any) -> None:
    for retries in (1, 2):
        ip.run_cell_magic("flyte_task", f"env=my_env retries={retries}", "def double(x: int) -> int:\n    return 2 * x\n")
    assert list(flyte.registry().tasks) == ["magic_env.double"]
    assert flyte.registry().task("magic_env.double").resolve().value("retries").count == 2


def test_run_option_runs_right_after_registering(ip: Any) -> None:
    value = ip.run_cell_magic("flyte_task", 'env=my_env --run "double(21)"',
                              "def double(x: int) -> int:\n    return 2 * x\n")
    assert value == 42
    value = ip.run_cell_magic("flyte_task", "env=my_env --run 'await double(4)'",
                              "async def double(x: int) -> int:\n    return 2 * x\n")
    assert value == 8


def test_cell_option_runs_the_cell_as_a_task(ip: Any) -> None:
    ip.user_ns["numbers"] = [1, 2, 3]
    ip.run_cell_magic("flyte_task", "env=my_env --cell squares", "squares_list = [n * n for n in numbers]\n"
                      "total = sum(squares_list)\n")
    assert ip.user_ns["total"] == 14 and ip.user_ns["squares_list"] == [1, 4, 9]
    task = flyte.registry().task("magic_env.squares")
    assert list(__import__("inspect").signature(task).parameters) == ["numbers"]
    assert flyte.registry().runs[-1].task == "magic_env.squares"


@pytest.mark.parametrize(("line", "cell", "message"), [
    ("env=nope", "def f(): pass", "could not evaluate 'env=nope'"),
    ("env=42", "def f(): pass", "env=42 is not a flyte.TaskEnvironment"),
    ("retries=3", "def f(): pass", "env=... is required"),
    ("env=my_env resources=flyte.Resources(cpu=1)", "def f(): pass",
     "resources=Resources(cpu=1) is not allowed at the @env.task decorator level"),
    ("env=my_env retries=-1", "def f(): pass", "retries=-1 is invalid at the @env.task decorator level"),
    ("env=my_env", "x = 1", "defines no function"),
    ("env=my_env", "def f(:\n  pass", "syntax error"),
    ("env=my_env retries=", "def f(): pass", "not a setting"),
    ("env=my_env retries=(3", "def f(): pass", "unbalanced"),
    ("env=my_env --cell 3x", "y = 1", "identifier"),
])
def test_bad_magic_lines_are_clear_and_register_nothing(ip: Any, line: str, cell: str, message: str) -> None:
    before = set(flyte.registry().tasks)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)").replace("@", "@")):
        ip.run_cell_magic("flyte_task", line, cell)
    assert set(flyte.registry().tasks) == before


def test_a_failing_cell_registers_nothing(ip: Any) -> None:
    result = ip.run_cell("%%flyte_task env=my_env\ndef f() -> int:\n    return 1\nraise ValueError('cell broke')\n")
    assert not result.success or result.error_in_exec is not None or "magic_env.f" not in flyte.registry().tasks
    assert "magic_env.f" not in flyte.registry().tasks


def test_help_is_generated_from_the_table(ip: Any) -> None:
    doc = ip.find_cell_magic("flyte_task").__doc__
    for name in ("retries", "timeout", "cache", "report", "short_name", "triggers", "docs"):
        assert name in doc
    assert "resources" in doc.split("Not allowed here")[1]


def test_line_magics_render_tables_and_logs(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell_magic("flyte_task", "env=my_env retries=2", "def double(x: int) -> int:\n    print('doubling', x)\n"
                      "    return 2 * x\n")
    assert ip.user_ns["double"](5) == 10
    envs = ip.run_line_magic("flyte_envs", "")
    assert "magic_env" in repr(envs) and "<table>" in envs._repr_html_()
    tasks = repr(ip.run_line_magic("flyte_tasks", ""))
    assert "magic_env.double" in tasks and "[decorator]" in tasks
    runs = ip.run_line_magic("flyte_runs", "")
    run_id = flyte.registry().runs[-1].id
    assert run_id in repr(runs) and "succeeded" in repr(runs)
    capsys.readouterr()
    ip.run_line_magic("flyte_logs", run_id)
    out = capsys.readouterr().out
    assert "attempt 1" in out
    with pytest.raises(UsageError, match="no run 'r999'"):
        ip.run_line_magic("flyte_logs", "r999")
    with pytest.raises(UsageError, match="no report"):
        ip.run_line_magic("flyte_report", run_id)


def test_report_magic_shows_the_report(ip: Any) -> None:
    ip.run_cell_magic("flyte_task", "env=my_env report=True", "def reporter() -> int:\n"
                      "    from flyte_nb import report\n    report.log('<b>hello</b>')\n    return 1\n")
    ip.user_ns["reporter"]()
    run = flyte.registry().runs[-1]
    shown = ip.run_line_magic("flyte_report", run.id)
    assert "srcdoc" in shown._repr_html_() and "&lt;b&gt;hello&lt;/b&gt;" in shown._repr_html_()
    assert run.report_path in repr(shown)


def test_secret_magic_stores_without_echo(ip: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MY_TOKEN_SOURCE", "tok-abc-123")
    ip.run_line_magic("flyte_secret", "api --group g --from-env MY_TOKEN_SOURCE")
    assert flyte.secrets.get("api", "g") == "tok-abc-123"
    assert "tok-abc" not in capsys.readouterr().out
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert flyte.secrets.list() == ["g/api"] or "g/api" in flyte.secrets.list()
