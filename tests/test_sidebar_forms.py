"""The sidebar's typed forms and Insert code, kernel side (flyte_nb/formschema.py, codegen.notebook_code,
bridge.entity/edit): each form is the table's pydantic schema made renderable, a form's data becomes the
same value code would give (validated by the same model), and Insert code runs as is in the notebook.
The browser test (ui-tests/) drives the same through JupyterLab's FormComponent.
"""

from __future__ import annotations

import re

import types
from datetime import timedelta

import pytest

import flyte_nb as flyte
from flyte_nb import bridge
from flyte_nb.codegen import flyte_import, notebook_code
from flyte_nb.config.devices import ACCELERATOR_COUNTS
from flyte_nb.config.errors import ConfigError
from flyte_nb.config.parameters import BY_NAME, PARAMETERS
from flyte_nb.formschema import CODE_ONLY, accelerators, form, form_data, from_form
from flyte_nb.registry import registry


def _row(entity: dict, name: str) -> dict:
    return next(r for r in entity["rows"] if r["parameter"] == name)


def _walk(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for item in node:
            found += _walk(item)
    return found


def test_every_form_is_self_contained_and_typed() -> None:
    for parameter in PARAMETERS:
        found = form(parameter, ("db_pass",))
        if parameter.name in CODE_ONLY:
            assert found is None, parameter.name
            continue
        assert found is not None, parameter.name
        nodes = _walk(found["schema"])
        assert not any("$ref" in n or "$defs" in n for n in nodes), parameter.name  # rjsf needs no root defs
        assert not any(n.get("type") == "null" for n in nodes), parameter.name  # unset is its own button
        assert all("type" in n or "anyOf" in n or "const" in n or "enum" in n
                   for n in nodes if "title" in n and n is not found["schema"].get("ui")), parameter.name


def test_bounds_units_and_pickers_come_from_the_table() -> None:
    retries = form(BY_NAME["retries"])["schema"]
    assert [o["title"] for o in retries["anyOf"]] == ["count", "RetryStrategy"]
    assert retries["anyOf"][0] == {"minimum": 0, "type": "integer", "title": "count"}
    assert retries["anyOf"][1]["properties"]["count"]["maximum"] == 100
    resources = form(BY_NAME["resources"])
    props = resources["schema"]["properties"]
    assert props["cpu"]["anyOf"][0] == {"type": "number", "minimum": 0, "title": "request"}
    assert resources["ui"]["disk"] == {"ui:widget": "quantity"} and props["memory"]["anyOf"][0]["pattern"].startswith("^")
    gpu = {o["title"]: o for o in props["gpu"]["anyOf"]}
    assert "A100:1" in gpu["accelerator"]["examples"] and "A100:1" in accelerators()
    assert gpu["Device"]["properties"]["device_class"]["enum"][0] == "GPU"
    cache = form(BY_NAME["cache"])["schema"]["anyOf"][0]
    assert cache["enum"] == ["auto", "override", "disable"]
    reusable = form(BY_NAME["reusable"])["schema"]
    assert [o["title"] for o in reusable["anyOf"]] == ["ReusePolicy", "off"]
    assert form(BY_NAME["report"])["schema"]["type"] == "boolean"
    assert form(BY_NAME["env_vars"])["schema"]["additionalProperties"] == {"type": "string"}
    secrets = form(BY_NAME["secrets"], ("db_pass", "api/token"))["schema"]
    assert secrets["anyOf"][0]["examples"] == ["db_pass", "api/token"]
    assert secrets["anyOf"][1]["properties"]["key"]["examples"] == ["db_pass", "api/token"]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("resources", {"cpu": 2, "memory": "512Mi", "gpu": "A100:1"}, flyte.Resources(cpu=2, memory="512Mi", gpu="A100:1")),
    ("retries", 3, 3),
    ("retries", {"count": 2, "backoff": {"base": "2s"}},
     flyte.RetryStrategy(count=2, backoff=flyte.Backoff(base=timedelta(seconds=2)))),
    ("timeout", {"max_runtime": 60}, flyte.Timeout(max_runtime=60)),
    ("cache", "auto", "auto"),
    ("cache", {"behavior": "override", "salt": "s"}, flyte.Cache(behavior="override", salt="s")),
    ("reusable", {"replicas": [1, 2], "idle_ttl": "40s"}, flyte.ReusePolicy(replicas=(1, 2), idle_ttl=40)),
    ("reusable", {"idle_ttl": "1h30m", "scaledown_ttl": "PT45S"}, flyte.ReusePolicy(idle_ttl=5400, scaledown_ttl=45)),
    ("reusable", {"idle_ttl": "90"}, flyte.ReusePolicy(idle_ttl=90)),
    ("reusable", "off", "off"),
    ("env_vars", {"A": "1"}, {"A": "1"}),
    ("secrets", ["db_pass", {"key": "tok", "as_env_var": "TOK"}], ["db_pass", flyte.Secret(key="tok", as_env_var="TOK")]),
    ("links", [{"name": "docs", "url": "https://example.org"}], [flyte.Link(name="docs", url="https://example.org")]),
    ("report", True, True),
])
def test_form_data_means_what_code_means(name: str, data: object, expected: object) -> None:
    parameter = BY_NAME[name]
    value = from_form(parameter, data)
    assert parameter.adapter.validate_python(value) == parameter.adapter.validate_python(expected)


def test_form_data_round_trips_a_value_in_its_short_form() -> None:
    assert form_data(flyte.RetryStrategy(count=3)) == 3
    assert form_data(flyte.Cache(behavior="auto")) == "auto"
    assert form_data(flyte.Resources(cpu=1, memory="1Gi")) == {"cpu": 1, "memory": "1Gi"}
    policy = flyte.ReusePolicy(replicas=(1, 2), idle_ttl=40)
    assert form_data(policy) == {"replicas": [1, 2], "idle_ttl": "40s"}
    assert from_form(BY_NAME["reusable"], form_data(policy)) == policy


@pytest.mark.parametrize(("seconds", "text"), [(40, "40s"), (90, "1m30s"), (5400, "1h30m"), (93600, "1d2h"),
                                               (0.25, "250ms"), (0, "0s"), (2.5, "2.5s")])
def test_durations_show_as_people_write_them_and_read_back_exactly(seconds: float, text: str) -> None:
    """ReusePolicy(idle_ttl=40) showed as PT40S in the sidebar; a form shows 40s and takes 40s, 1h30m, 90."""
    from flyte_nb.config.durations import as_text, parse_text

    assert as_text(timedelta(seconds=seconds)) == text
    assert parse_text(text, "idle_ttl") == timedelta(seconds=seconds)
    schema = form(BY_NAME["reusable"])["schema"]
    idle = schema["anyOf"][0]["properties"]["idle_ttl"]
    assert "format" not in idle and idle["x-duration"] and re.fullmatch(idle["pattern"], text)
    assert idle["default"] == "30s"


@pytest.mark.parametrize("text", ["soon", "5 minutes", "1h30", "-5s", "PTX"])
def test_a_duration_nobody_can_read_is_refused_with_the_parameter(text: str) -> None:
    with pytest.raises(ConfigError, match="idle_ttl"):
        from_form(BY_NAME["reusable"], {"idle_ttl": text})


def test_a_form_value_no_choice_matches_is_refused_with_the_parameter() -> None:
    with pytest.raises(ConfigError, match="retries: the form sent"):
        from_form(BY_NAME["retries"], "three")
    with pytest.raises(ConfigError, match="image has no form"):
        from_form(BY_NAME["image"], "python:3.12")


def test_edit_with_form_data_applies_through_the_registry_and_refuses_bad_values() -> None:
    env = flyte.TaskEnvironment(name="forms_env")

    @env.task
    def work(x: int) -> int:
        return x + 1

    ok = bridge.edit({"kind": "task", "name": "forms_env.work", "level": "override", "parameter": "retries",
                      "value": 2}, {})
    assert ok["ok"], ok
    assert registry().session_overrides("forms_env.work")["retries"] == flyte.RetryStrategy(count=2)
    bad = bridge.edit({"kind": "task", "name": "forms_env.work", "level": "override", "parameter": "retries",
                       "value": -1}, {})
    assert not bad["ok"] and "retries=-1" in bad["error"]["message"]
    assert registry().session_overrides("forms_env.work")["retries"] == flyte.RetryStrategy(count=2)
    res = bridge.edit({"kind": "environment", "name": "forms_env", "level": "environment",
                       "parameter": "resources", "value": {"cpu": 1, "memory": "300Mi"}}, {})
    assert res["ok"], res
    entity = bridge.entity("task", "forms_env.work", {})
    assert _row(entity, "resources")["cells"]["environment"]["form"] == {"cpu": 1, "memory": "300Mi"}
    assert _row(entity, "retries")["cells"]["override"]["form"] == 2
    assert entity["forms"]["image"] is None and entity["forms"]["retries"]["schema"]["anyOf"]
    tree = bridge.tree()
    task = next(t for e in tree["environments"] if e["name"] == "forms_env" for t in e["tasks"])
    assert task["overrides"] == ["retries"]  # the sidebar's badge on the task


def test_flyte_import_follows_the_notebook() -> None:
    assert flyte_import({"flyte": flyte}) == ("flyte.", "import flyte_nb as flyte")
    assert flyte_import({"flyte_nb": flyte}) == ("flyte_nb.", "import flyte_nb")
    shim = types.ModuleType("flyte")
    assert flyte_import({"flyte": shim}) == ("flyte.", "import flyte")
    assert flyte_import({}) == ("flyte.", "import flyte_nb as flyte")


def test_insert_code_keeps_the_notebooks_names_and_the_real_body() -> None:
    source = '''
import flyte_nb as flyte
env_2 = flyte.TaskEnvironment(name="data_processing", resources=flyte.Resources(cpu=1))

@env_2.task(retries=1)
def double(x: int) -> int:
    """Twice x."""
    return 2 * x
'''
    namespace: dict = {}
    exec(compile(source, "<cell-insert-code>", "exec"), namespace)  # noqa: S102 - the test's own notebook
    import linecache

    linecache.cache["<cell-insert-code>"] = (len(source), None, source.splitlines(True), "<cell-insert-code>")
    registry().set_override("data_processing.double", {"retries": 3})
    code = notebook_code(registry().environment("data_processing"), registry().task("data_processing.double"),
                         namespace)
    assert code.startswith("import flyte_nb as flyte\n")
    assert "data_processing_env" not in code and "@env_2.task(retries=1)" in code
    assert "return 2 * x" in code and "..." not in code
    assert code.rstrip().endswith("double = double.override(retries=3)")
    ran: dict = {}
    exec(compile(code, "<inserted>", "exec"), {**namespace, **ran})  # runs as is  # noqa: S102
    env_code = notebook_code(registry().environment("data_processing"), None, namespace)
    assert env_code == ("import flyte_nb as flyte\n"
                        "env_2 = flyte.TaskEnvironment(name='data_processing', resources=flyte.Resources(cpu=1))")


def test_gpu_picker_offers_the_models_and_counts_the_table_accepts() -> None:
    resources = form(BY_NAME["resources"])
    gpu = resources["schema"]["properties"]["gpu"]
    assert resources["ui"]["gpu"] == {"ui:field": "gpu", "ui:fieldReplacesAnyOrOneOf": True}
    assert gpu["x-devices"] == {name: list(counts) for name, (counts, _) in ACCELERATOR_COUNTS.items()}
    assert gpu["x-devices"]["A100"] == list(range(1, 9)) and gpu["x-devices"]["T4 shared"] == [1]
    for name, counts in gpu["x-devices"].items():  # every pick the picker can make is a valid setting
        for count in counts:
            flyte.Resources(gpu=f"{name}:{count}")
    assert from_form(BY_NAME["resources"], {"gpu": "A100:2"}) == flyte.Resources(gpu="A100:2")
    assert from_form(BY_NAME["resources"], {"gpu": 2}) == flyte.Resources(gpu=2)  # two of any GPU
    partitioned = flyte.Resources(gpu=flyte.GPU("A100", 1, partition="1g.5gb"))  # a Device: kept as it is
    assert from_form(BY_NAME["resources"], form_data(partitioned)) == partitioned
    with pytest.raises(ConfigError, match="A100:9"):
        bridge_edit_resources({"gpu": "A100:9"})


def bridge_edit_resources(value: dict) -> None:
    env = flyte.TaskEnvironment(name="gpu_env")
    done = bridge.edit({"kind": "environment", "name": "gpu_env", "level": "environment",
                        "parameter": "resources", "value": value}, {})
    assert "resources" not in env.settings
    if not done["ok"]:
        raise ConfigError(done["error"]["message"], parameter=done["error"]["parameter"])


def test_cpu_and_memory_take_request_limit_pairs_in_the_form() -> None:
    resources = form(BY_NAME["resources"])
    for name in ("cpu", "memory"):
        assert resources["ui"][name]["ui:field"] == "requestLimit", name
        options = {o["title"]: o for o in resources["schema"]["properties"][name]["anyOf"]}
        assert options["request, limit"]["minItems"] == options["request, limit"]["maxItems"] == 2, name
    assert resources["ui"]["memory"]["ui:options"]["unit"] == "bytes"
    assert resources["ui"]["cpu"]["ui:options"]["unit"] == "cores"
    value = flyte.Resources(cpu=(1, 2), memory=("256Mi", "1Gi"))
    assert form_data(value) == {"cpu": [1, 2], "memory": ["256Mi", "1Gi"]}
    assert from_form(BY_NAME["resources"], {"cpu": [1, 2], "memory": ["256Mi", "1Gi"]}) == value
    assert from_form(BY_NAME["resources"], {"cpu": 1, "memory": "256Mi"}) == flyte.Resources(cpu=1, memory="256Mi")
    with pytest.raises(ConfigError, match="request '1Gi' is larger than its limit '256Mi'"):
        bridge_edit_resources({"memory": ["1Gi", "256Mi"]})
