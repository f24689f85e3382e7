"""Generated bad configurations: each is one clear ConfigError naming the parameter, and changes nothing.

A seeded generator crosses every parameter of the table, at every level it may be set
(TaskEnvironment, @env.task, override(), the registry edits the panel and sidebar make, and
%%flyte_task), with values of the kinds that broke validation before: wrong types, out of
range, overflow (1e20, 10**400, a 400-digit memory), NaN/inf, NUL, non-ASCII digits, huge
strings, deep nesting and setting models with bad fields. The counts are printed.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import timedelta
from typing import Any, Callable, Iterator

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
from flyte_nb.config.errors import show
from flyte_nb.config.parameters import BY_NAME, PARAMETERS, Level

SEED = 16
NAN, INF = float("nan"), float("inf")


def _deep_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_dict(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


#: Bad for every parameter (no parameter takes these).
UNIVERSAL: list[Any] = [object(), 3 + 4j, b"bytes", {1, 2}, NAN, INF, -INF, 1e20, -(10**400),
                        _deep_list(1000), _deep_dict(1000), (1, "x", None), [object()], {"k": object()}]
#: Bad strings: bad for every parameter that is not free text.
STRINGS: list[str] = ["a\0b", "\0", "٣", "１２", "x" * 100_000, "", " ", "a\nb"]
#: Bad for every parameter except the numeric ones, where they are checked separately.
NUMBERS: list[Any] = [-1, 0.5, 10**400, True]

#: Parameter -> extra bad values (thunks build setting models, which refuse bad fields themselves).
SPECIFIC: dict[str, list[Any]] = {
    "name": ["My_Env", "a" * 64, "é"],
    "resources": [lambda: flyte.Resources(cpu=INF), lambda: flyte.Resources(cpu=NAN),
                  lambda: flyte.Resources(cpu="٣"), lambda: flyte.Resources(cpu=10**400),
                  lambda: flyte.Resources(cpu=1e300), lambda: flyte.Resources(cpu="1\0"),
                  lambda: flyte.Resources(memory="9" * 400), lambda: flyte.Resources(memory=10**400),
                  lambda: flyte.Resources(memory="٣Gi"), lambda: flyte.Resources(memory="1Gi\n"),
                  lambda: flyte.Resources(memory=INF), lambda: flyte.Resources(memory=("2Gi", "1Gi")),
                  lambda: flyte.Resources(cpu=(1, INF)), lambda: flyte.Resources(gpu="A100:٣"),
                  lambda: flyte.Resources(disk="9" * 400 + "Ei"), lambda: flyte.Resources(shm="1\0Gi")],
    "env_vars": [{"A": "x\0y"}, {"A\0": "x"}, {"A\n": "x"}, {"Ä": "x"}, {"A": "x" * 10} | {"B": 1},
                 {"A": _deep_dict(50)}, {"٣": "x"}],
    "secrets": [lambda: flyte.Secret(key="k\0"), lambda: flyte.Secret(key="k", as_env_var="A\0")],
    "cache": ["AUTO", lambda: flyte.Cache("auto", max_age=1e20), lambda: flyte.Cache("auto", max_age=INF),
              lambda: flyte.Cache("auto", max_age=NAN), lambda: flyte.Cache("auto", max_age=-(10**400)),
              lambda: flyte.Cache("auto", max_age=timedelta.max)],
    "reusable": ["on", lambda: flyte.ReusePolicy(idle_ttl=1e20), lambda: flyte.ReusePolicy(idle_ttl=INF),
                 lambda: flyte.ReusePolicy(idle_ttl=NAN), lambda: flyte.ReusePolicy(scaledown_ttl=10**400),
                 lambda: flyte.ReusePolicy(replicas=10**400), lambda: flyte.ReusePolicy(concurrency=INF)],
    "depends_on": [["other_env"], [1], _deep_list(1000)],
    "max_inline_io_bytes": [-1, 1.5, NAN, INF, "100"],
    "retries": [-1, 101, 10**400, NAN, INF, lambda: flyte.RetryStrategy(count=1, backoff=1e20),
                lambda: flyte.RetryStrategy(count=1, backoff=INF), lambda: flyte.RetryStrategy(count=1, backoff=NAN),
                lambda: flyte.RetryStrategy(count=10**400)],
    "timeout": [-5, 1e20, 10**400, NAN, INF, timedelta.max, timedelta(seconds=-1),  # 0: no limit
                lambda: flyte.Timeout(max_runtime=1e20), lambda: flyte.Timeout(max_queued_time=1e20),
                lambda: flyte.Timeout(max_queued_time=INF), lambda: flyte.Timeout(deadline=NAN)],
    "triggers": ["hourly", [1]],
    "links": ["https://x", [1]],
    "interruptible": [1, 0, "yes"],
    "report": [1, 0, "yes"],
    "queue": ["has space", "x" * 64],
}
#: Free-text parameters: any str is valid, so string values are not bad there.
FREE_TEXT = {"docs": STRINGS, "description": STRINGS[:4] + STRINGS[5:],
             "short_name": ["٣", "１２"], "pod_template": ["٣", "１２", "a\nb"], "image": ["٣", "１２"]}
#: Parameters whose valid values include numbers (a number is checked by SPECIFIC there).
NUMERIC = {"retries", "timeout", "max_inline_io_bytes"}
BOOLEAN = {"report", "interruptible"}


def bad_values(name: str) -> list[Any]:
    values = list(UNIVERSAL) + SPECIFIC.get(name, [])
    values += [s for s in STRINGS if s not in FREE_TEXT.get(name, ())]
    values += [] if name in NUMERIC else [n for n in NUMBERS if not (n is True and name in BOOLEAN)]
    if name == "plugin_config":  # any object is a plugin config: its only bad value is a reusable env's
        return []
    return values


class Where:
    """The places a setting is given: the three levels, the panel's edits, and %%flyte_task."""

    ENV, DECORATOR, OVERRIDE, EDIT_ENV, EDIT_TASK, SET_OVERRIDE, MAGIC = (
        "env", "decorator", "override", "edit_env", "edit_task", "set_override", "magic")


def _places(name: str) -> list[str]:
    levels = BY_NAME[name].levels
    places = []
    if Level.ENVIRONMENT in levels:
        places += [Where.ENV, Where.EDIT_ENV] if name != "name" else [Where.ENV]
    if Level.DECORATOR in levels:
        places += [Where.DECORATOR, Where.EDIT_TASK, Where.MAGIC]
    if Level.OVERRIDE in levels:
        places += [Where.OVERRIDE, Where.SET_OVERRIDE]
    return places


def generate(seed: int = SEED) -> list[tuple[str, str, Any]]:
    """(parameter, place, value) for every bad value at every place, in a seeded order."""
    cases = [(p.name, place, value) for p in PARAMETERS for place in _places(p.name) for value in bad_values(p.name)]
    random.Random(seed).shuffle(cases)
    return cases


def _snapshot() -> Any:
    reg = flyte.registry()
    return (
        {name: dict(env.settings) for name, env in reg.environments.items()},
        {name: (dict(t.decorator_settings), dict(t.override_settings), dict(reg.session_overrides(name)))
         for name, t in reg.tasks.items()},
    )


async def _probe(x: int) -> int:
    return x


async def _other(x: int) -> int:
    return x


def _attempt(name: str, place: str, value: Any, env: Any, task: Any, shell: Any) -> None:
    value = value() if callable(value) and not isinstance(value, type) else value
    settings = {name: value}
    if place == Where.ENV:
        flyte.TaskEnvironment(**({"name": value} if name == "name" else {"name": "fuzz_new", **settings}))
    elif place == Where.EDIT_ENV:
        flyte.registry().edit_environment(env.name, settings)
    elif place == Where.DECORATOR:
        env.task(**settings)(_other)
    elif place == Where.EDIT_TASK:
        flyte.registry().edit_task(task.name, settings)
    elif place == Where.OVERRIDE:
        task.override(**settings)
    elif place == Where.SET_OVERRIDE:
        flyte.registry().set_override(task.name, settings)
    else:
        shell.user_ns["_fuzz_value"] = value
        shell.run_cell_magic("flyte_task", f"env=fuzz_env {name}=_fuzz_value", "def fuzzed(x: int) -> int:\n    return x\n")


@pytest.fixture
def shell(inprocess: None) -> Iterator[Any]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "flyte_nb")
    yield ip
    for key in ("fuzz_env", "_fuzz_value", "fuzzed"):
        ip.user_ns.pop(key, None)


#: Parameter -> the setting model whose own refusal names it (Resources(cpu=inf) is invalid: cpu ...).
_MODELS = {"resources": "Resources(", "cache": "Cache(", "reusable": "ReusePolicy(", "retries": "RetryStrategy(",
           "timeout": "Timeout(", "secrets": "Secret("}


def _outcome(name: str, attempt: Callable[[], None]) -> str:
    """'config' (a ConfigError naming the parameter), 'accepted', or the other exception's class name."""
    try:
        attempt()
    except flyte.ConfigError as error:
        named = name in str(error) or str(error).startswith(_MODELS.get(name, "-"))
        return "config" if error.parameter == name and named else f"unnamed ConfigError: {error}"
    except UsageError as error:  # %%flyte_task shows a ConfigError as IPython's UsageError
        return "config" if f"{name}=" in str(error) or f"{name!r}" in str(error) else f"unnamed UsageError: {error}"
    except Exception as error:  # noqa: BLE001 - counting what escapes is the point
        return f"{type(error).__name__}: {str(error)[:100]}"
    return "accepted"


def test_500_generated_bad_configurations_are_refused_clearly_and_change_nothing(shell: Any) -> None:
    env = flyte.TaskEnvironment(name="fuzz_env", env_vars={"KEEP": "1"}, cache="auto")
    task = env.task(retries=2, timeout=30)(_probe)
    shell.user_ns["fuzz_env"] = env
    cases = generate()
    outcomes: Counter[str] = Counter()
    bad: list[tuple[str, str, str, str]] = []
    changed: list[tuple[str, str, str]] = []
    for name, place, value in cases:
        before = _snapshot()
        result = _outcome(name, lambda: _attempt(name, place, value, env, task, shell))
        outcomes["config" if result == "config" else "other"] += 1
        if result != "config":
            bad.append((name, place, show(value), result))
        if _snapshot() != before:
            changed.append((name, place, show(value)))
    by_place = Counter(place for _, place, _ in cases)
    print(f"\nfuzz seed={SEED}: {len(cases)} bad configurations over {len(PARAMETERS)} parameters; "
          f"{outcomes['config']} clear ConfigErrors, {outcomes['other']} other outcomes, {len(changed)} state changes; "
          f"by place {dict(by_place)}")
    assert len(cases) >= 500
    assert bad == []
    assert changed == []


def test_reusable_with_plugin_config_is_refused_at_every_place_it_meets() -> None:
    env = flyte.TaskEnvironment(name="plain_env")
    before = _snapshot()
    with pytest.raises(flyte.ConfigError, match="plugin_config"):
        flyte.registry().edit_environment(env.name, {"reusable": flyte.ReusePolicy(replicas=2),
                                                     "plugin_config": {"p": 1}})
    assert _snapshot() == before


# ---- the findings of issue 16, one test each ---------------------------------------------------
@pytest.mark.parametrize(("make", "parameter"), [
    (lambda: flyte.TaskEnvironment(name="e").task(timeout=1e20), "timeout"),
    (lambda: flyte.TaskEnvironment(name="e").task(timeout=INF), "timeout"),
    (lambda: flyte.RetryStrategy(count=1, backoff=1e20), "retries"),
    (lambda: flyte.ReusePolicy(idle_ttl=1e20), "reusable"),
    (lambda: flyte.Cache("auto", max_age=INF), "cache"),
    (lambda: flyte.Timeout(max_queued_time=1e20), "timeout"),
    (lambda: flyte.Resources(memory="9" * 400), "resources"),
], ids=["timeout-1e20", "timeout-inf", "backoff", "idle_ttl", "max_age", "max_queued_time", "memory-400-digits"])
def test_overflowing_values_are_config_errors_not_overflow_errors(make: Callable[[], Any], parameter: str) -> None:
    with pytest.raises(flyte.ConfigError) as info:
        make()
    assert info.value.parameter == parameter
    assert "maximum" in str(info.value)


@pytest.mark.parametrize("kwargs", [{"cpu": "٣"}, {"memory": "٣Gi"}, {"cpu": INF}, {"cpu": NAN}, {"memory": "1Gi\n"}],
                         ids=["cpu-arabic", "memory-arabic", "cpu-inf", "cpu-nan", "memory-newline"])
def test_resources_the_engine_cannot_parse_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(flyte.ConfigError) as info:
        flyte.Resources(**kwargs)
    assert next(iter(kwargs)) in str(info.value)


@pytest.mark.parametrize("env_vars", [{"A": "x\0y"}, {"A\0": "x"}, {"A\n": "x"}], ids=["value", "name", "newline"])
def test_nul_in_env_vars_is_refused(env_vars: dict[str, str]) -> None:
    with pytest.raises(flyte.ConfigError, match="env_vars") as info:
        flyte.TaskEnvironment(name="nul_env", env_vars=env_vars)
    assert info.value.level == "environment"
    assert "nul_env" not in flyte.registry().environments


def test_a_1000_deep_depends_on_chain_is_accepted_without_recursion() -> None:
    previous = flyte.TaskEnvironment(name="link_0")
    for i in range(1, 1000):
        previous = flyte.TaskEnvironment(name=f"link_{i}", depends_on=[previous])
    assert len(flyte.registry().environments) == 1000
    first = flyte.registry().environments["link_0"]
    with pytest.raises(flyte.ConfigError, match="cycle: link_0 -> link_999") as info:
        first.replace_settings({"depends_on": [previous]})
    assert len(str(info.value)) < 400  # the 1000-step path is elided to one line
    assert dict(first.settings) == {"name": "link_0"}


def test_memory_is_parsed_exactly() -> None:
    from flyte_nb.config.resources import parse_memory

    assert parse_memory("1.5Gi") == 3 * 2**29
    assert parse_memory("7Ei") == 7 * 2**60
    with pytest.raises(ValueError, match="maximum"):
        parse_memory("8Ei")  # 2**63 bytes: one more than a signed 64-bit int holds
    assert parse_memory(str(2**62)) == 2**62  # a float would round this
    assert math.isclose(flyte.Resources(cpu="250m").cpu_request_limit()[0] or 0, 0.25)


def test_a_1000_deep_depends_on_chain_exports_without_recursion(tmp_path: Any) -> None:
    from flyte_nb.export import export_project

    previous = flyte.TaskEnvironment(name="chain_0")
    for i in range(1, 1000):
        previous = flyte.TaskEnvironment(name=f"chain_{i}", depends_on=[previous])

    @previous.task
    def last(x: int) -> int:
        return x

    package = export_project(tmp_path / "chain_project", entry="last(1)", namespace={"last": last}).package
    modules = {path.name: path.read_text() for path in package.glob("chain_*.py")}
    assert len(modules) == 1000 and "chain_998" in modules["chain_999.py"]


def test_modules_calling_each_other_are_still_refused_as_a_cycle(tmp_path: Any) -> None:
    from flyte_nb.export import ExportError, export_project

    env_a, env_b = flyte.TaskEnvironment(name="cyc_a"), flyte.TaskEnvironment(name="cyc_b")

    @env_a.task
    def fa(x: int) -> int:
        return fb(x)

    @env_b.task
    def fb(x: int) -> int:
        return fa(x) if x > 10 else x

    with pytest.raises(ExportError, match=r"cycle \(cyc_\w -> cyc_\w -> cyc_\w\)"):
        export_project(tmp_path / "cyc_project", entry="fa(1)", namespace={"fa": fa, "fb": fb})
