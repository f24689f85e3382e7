"""The ipywidgets settings panel as a view of the registry (widget state, in-process)."""

from __future__ import annotations

from typing import Any

import flyte_nb as flyte
from flyte_nb.codegen import notebook_code
from flyte_nb.config.parameters import Level
from flyte_nb.panel import SettingsPanel

D, E, O = Level.DECORATOR, Level.ENVIRONMENT, Level.OVERRIDE


def make(reusable: bool = False) -> tuple[Any, Any]:
    extra = {"reusable": flyte.ReusePolicy(replicas=2)} if reusable else {}
    env = flyte.TaskEnvironment(name="panel_env", env_vars={"A": "1"}, **extra)

    @env.task(retries=2)
    def work(x: int) -> int:
        return x

    return env, work


def test_rows_columns_and_forbidden_cells() -> None:
    _, work = make()
    panel = SettingsPanel(task=work, namespace={})
    assert len(panel.effective) == 21 and len(panel.editors) == 63
    assert panel.editors[("retries", E)].disabled
    assert "can be set at: @env.task decorator, task.override()" in panel.editors[("retries", E)].tooltip
    assert not panel.editors[("retries", D)].disabled and panel.editors[("retries", D)].value == "2"
    assert panel.editors[("name", E)].disabled and panel.editors[("name", E)].value == "panel_env"
    assert "[decorator]" in panel.effective["retries"].value and "[environment]" in panel.effective["env_vars"].value
    assert "[default]" in panel.effective["timeout"].value


def test_edits_apply_to_the_registry_and_the_next_call_uses_them(inprocess: None) -> None:
    _, work = make()
    panel = SettingsPanel(task=work, namespace={})
    panel.editors[("retries", D)].value = "5"
    assert work.resolve().value("retries").count == 5
    panel.editors[("resources", O)].value = "flyte.Resources(cpu=2, memory='1Gi')"
    assert work.resolve()["resources"].level is O
    assert "[override]" in panel.effective["resources"].value
    work(1)
    run = flyte.registry().runs[-1]
    assert run.settings["resources"] == {"parameter": "resources", "value": {"cpu": 2, "memory": "1Gi"},
                                         "level": "override"}
    assert run.settings["retries"]["value"]["count"] == 5
    panel.editors[("cache", E)].value = "auto"
    assert work.env.settings["cache"] == flyte.Cache("auto")
    panel.editors[("cache", E)].value = "(unset)"
    assert "cache" not in work.env.settings


def test_invalid_edit_shows_the_error_and_changes_nothing() -> None:
    _, work = make()
    panel = SettingsPanel(task=work, namespace={})
    before = work.resolve().to_json()
    panel.editors[("retries", D)].value = "-1"
    assert "retries=-1 is invalid" in panel.errors["retries"].value
    panel.editors[("env_vars", E)].value = "{'A': 1}"
    assert "env_vars" in panel.errors["env_vars"].value
    panel.editors[("timeout", O)].value = "not python("
    assert "could not evaluate" in panel.errors["timeout"].value
    assert work.resolve().to_json() == before


def test_if_not_reusable_cells_follow_the_reusable_setting() -> None:
    _, work = make(reusable=True)
    panel = SettingsPanel(task=work, namespace={})
    assert panel.editors[("resources", O)].disabled
    assert "only if not reusable" in panel.editors[("resources", O)].tooltip
    panel.editors[("reusable", O)].value = "'off'"
    assert not panel.editors[("resources", O)].disabled
    panel.editors[("resources", O)].value = "flyte.Resources(cpu=1)"
    assert work.resolve().value("resources") == flyte.Resources(cpu=1)


def test_panel_follows_registry_changes_from_elsewhere() -> None:
    env, work = make()
    panel = SettingsPanel(task=work, namespace={})
    flyte.registry().edit_environment("panel_env", {"queue": "fast"})
    assert panel.editors[("queue", E)].value == "'fast'"

    @env.task(retries=7)
    def work(x: int) -> int:  # noqa: F811 - the cell is re-run
        return x

    assert panel.editors[("retries", D)].value == "7"


def test_show_and_insert_code_write_the_notebook_code_that_runs_as_is() -> None:
    """Insert code is the sidebar's (codegen.notebook_code): the notebook's import and variable names,
    the task's real body, the override column as `.override(...)`; no `...` stub."""
    env, work = make()
    namespace = {"flyte": flyte, "my_env": env, "work": work}
    panel = SettingsPanel(task=work, namespace=namespace)
    panel.editors[("timeout", O)].value = "30"
    panel.insert_code()  # no sidebar and no shell here: the code is shown in the panel
    code = panel.code.value
    assert code == notebook_code(env, work, namespace)
    assert code.startswith("import flyte_nb as flyte\n")
    assert "@my_env.task(retries=2)" in code and "def work(x: int) -> int:\n    return x" in code
    assert "..." not in code and "panel_env_env" not in code
    assert code.rstrip().endswith("work = work.override(timeout=30)")
    panel.show_code()
    assert panel.code.value == code
    ran = dict(namespace)
    exec(compile(code, "<inserted>", "exec"), ran)  # noqa: S102 - runs as is in the notebook
    assert ran["work"].resolve().value("timeout").seconds("max_runtime") == 30
    assert ran["work"].resolve().value("retries").count == 2


def test_environment_panel_inserts_the_environment_under_its_notebook_name() -> None:
    env, _ = make()
    panel = SettingsPanel(env=env, namespace={"flyte": flyte})
    assert panel.code_text() == ("import flyte_nb as flyte\n"
                                 "panel_env = flyte.TaskEnvironment(name='panel_env', env_vars={'A': '1'})")


def test_environment_panel_edits_only_its_column() -> None:
    env, _ = make()
    panel = SettingsPanel(env=env, namespace={})
    assert panel.editors[("retries", D)].disabled and panel.editors[("cache", O)].disabled
    panel.editors[("description", E)].value = "'from the panel'"
    assert env.settings["description"] == "from the panel"
