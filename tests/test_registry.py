"""The registry: re-running cells replaces entries; depends_on graphs stay sound; edits are atomic."""

from __future__ import annotations

import pytest

import flyte_nb as flyte


def test_redefining_an_environment_replaces_it() -> None:
    first = flyte.TaskEnvironment(name="same")
    second = flyte.TaskEnvironment(name="same", queue="q")
    assert flyte.registry().environments == {"same": second}
    assert first is not second


def test_redefining_a_task_replaces_it() -> None:
    env = flyte.TaskEnvironment(name="cell")

    @env.task
    def f() -> int:
        return 1

    old = f

    @env.task(retries=2)
    def f() -> int:  # noqa: F811 - a re-run cell
        return 2

    assert list(flyte.registry().tasks) == ["cell.f"]
    assert flyte.registry().task("cell.f") is f and f is not old
    assert env.tasks == {"cell.f": f}  # keyed by full name, as flyte 2.12.1


def test_depends_on_cycle_through_a_redefinition_is_refused() -> None:
    b = flyte.TaskEnvironment(name="b")
    a = flyte.TaskEnvironment(name="a", depends_on=[b])
    with pytest.raises(flyte.ConfigError, match="cycle: b -> a -> b"):
        flyte.TaskEnvironment(name="b", depends_on=[a])
    assert flyte.registry().environment("b") is b  # unchanged


def test_two_live_environments_of_one_name_in_a_graph_are_refused() -> None:
    old_c = flyte.TaskEnvironment(name="c")
    x = flyte.TaskEnvironment(name="x", depends_on=[old_c])
    new_c = flyte.TaskEnvironment(name="c", queue="new")
    with pytest.raises(flyte.ConfigError, match="two different environments named 'c'"):
        flyte.TaskEnvironment(name="y", depends_on=[x, new_c])
    assert "y" not in flyte.registry().environments


def test_self_dependency_is_a_cycle() -> None:
    d = flyte.TaskEnvironment(name="d")
    with pytest.raises(flyte.ConfigError, match="cycle: d -> d"):
        flyte.TaskEnvironment(name="d", depends_on=[d])
    assert flyte.registry().environment("d") is d


def test_edit_environment_is_all_or_nothing_and_notifies() -> None:
    env = flyte.TaskEnvironment(name="edit", queue="q1")
    seen: list[tuple[str, str]] = []
    flyte.registry().subscribe(lambda kind, name: seen.append((kind, name)))
    flyte.registry().edit_environment("edit", {"queue": "q2", "resources": flyte.Resources(cpu=2)})
    assert env.resolve().value("queue") == "q2" and env.resources == flyte.Resources(cpu=2)
    assert ("environment", "edit") in seen
    with pytest.raises(flyte.ConfigError, match="retries"):
        flyte.registry().edit_environment("edit", {"queue": "q3", "retries": 2})
    assert env.resolve().value("queue") == "q2"  # the valid half was not applied
    flyte.registry().edit_environment("edit", {"queue": None})
    assert "queue" not in env.settings


def test_edit_task_changes_the_next_resolution() -> None:
    env = flyte.TaskEnvironment(name="edit2")

    @env.task
    def g() -> None: ...

    flyte.registry().edit_task("edit2.g", {"retries": 4})
    assert g.resolve().value("retries").count == 4
    with pytest.raises(flyte.ConfigError, match="image"):
        flyte.registry().edit_task("edit2.g", {"image": "python:3.11"})
    assert g.resolve().value("retries").count == 4


def test_lookup_errors_name_what_exists() -> None:
    flyte.TaskEnvironment(name="known")
    with pytest.raises(KeyError, match="known"):
        flyte.registry().environment("unknown")
