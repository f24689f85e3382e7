"""The parameter table matches the spec, and docs/parameters.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from flyte_nb.config.docs import render
from flyte_nb.config.parameters import BY_NAME, LEVELS, PARAMETERS, Level, Rule, table_json

# The spec's table (configure-tasks.txt, "Parameter interaction"), copied as the test's oracle.
SPEC_TABLE = """
| name | ✅ Yes (required) | ❌ No | ❌ No |
| short_name | ❌ No | ✅ Yes | ✅ Yes |
| image | ✅ Yes | ❌ No | ❌ No |
| resources | ✅ Yes | ❌ No | ✅ Yes (if not reusable) |
| env_vars | ✅ Yes | ❌ No | ✅ Yes (if not reusable) |
| secrets | ✅ Yes | ❌ No | ✅ Yes (if not reusable) |
| cache | ✅ Yes | ✅ Yes | ✅ Yes |
| pod_template | ✅ Yes | ✅ Yes | ✅ Yes |
| reusable | ✅ Yes | ❌ No | ✅ Yes |
| depends_on | ✅ Yes | ❌ No | ❌ No |
| description | ✅ Yes | ❌ No | ❌ No |
| plugin_config | ✅ Yes | ❌ No | ❌ No |
| report | ❌ No | ✅ Yes | ❌ No |
| max_inline_io_bytes | ❌ No | ✅ Yes | ✅ Yes |
| retries | ❌ No | ✅ Yes | ✅ Yes |
| timeout | ❌ No | ✅ Yes | ✅ Yes |
| triggers | ❌ No | ✅ Yes | ❌ No |
| links | ❌ No | ✅ Yes | ✅ Yes |
| interruptible | ✅ Yes | ✅ Yes | ✅ Yes |
| queue | ✅ Yes | ✅ Yes | ✅ Yes |
| docs | ❌ No | ✅ Yes | ❌ No |
"""


def spec_rows() -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in SPEC_TABLE.strip().splitlines()]


def test_table_has_the_spec_parameters_in_order() -> None:
    assert [row[0] for row in spec_rows()] == [p.name for p in PARAMETERS]
    assert len(PARAMETERS) == 21


def test_every_cell_matches_the_spec() -> None:
    for name, *cells in spec_rows():
        for level, cell in zip(LEVELS, cells):
            assert BY_NAME[name].rule(level).mark == cell, (name, level)


def test_if_not_reusable_cells_are_the_three_override_cells() -> None:
    conditional = {(p.name, lv) for p in PARAMETERS for lv in LEVELS if p.rule(lv) is Rule.IF_NOT_REUSABLE}
    assert conditional == {("resources", Level.OVERRIDE), ("env_vars", Level.OVERRIDE), ("secrets", Level.OVERRIDE)}


def test_docs_file_is_generated_from_the_table() -> None:
    path = Path(__file__).parent.parent / "docs" / "parameters.md"
    assert path.read_text(encoding="utf-8") == render(), "run: python -m flyte_nb docs"


def test_table_json_carries_rules_and_schemas_for_the_uis() -> None:
    rows = table_json()
    assert [r["name"] for r in rows] == [p.name for p in PARAMETERS]
    resources = next(r for r in rows if r["name"] == "resources")
    assert resources["rules"] == {"environment": "yes", "decorator": "no", "override": "if not reusable"}
    assert "cpu" in str(resources["schema"])
    cache = next(r for r in rows if r["name"] == "cache")
    assert "override" in str(cache["schema"]) and "disable" in str(cache["schema"])


def test_runner_support_covers_every_parameter_and_docs_are_generated() -> None:
    from flyte_nb.runners.support import RUNNERS, SUPPORT
    from flyte_nb.runners.support import render as render_runners

    assert set(SUPPORT) == {p.name for p in PARAMETERS}
    assert all(set(row) == set(RUNNERS) for row in SUPPORT.values())
    path = Path(__file__).parent.parent / "docs" / "runners.md"
    assert path.read_text(encoding="utf-8") == render_runners(), "run: python -m flyte_nb docs"
