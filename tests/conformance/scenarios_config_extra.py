"""Configuration extras against flyte 2.12.1: Image.with_dockerignore, Image.from_pixi_script, task timeouts.

Written from the SDK's documented API and behaviour observed in the side venv.
"""

from __future__ import annotations

from tests.conformance.harness import Scenario


def _one(name: str, expression: str, setup: str = "") -> Scenario:
    """A scenario whose result is one expression (after optional setup lines)."""
    return Scenario(f"config_extra.{name}", f"{setup}result = {expression}")


def _err(name: str, statement: str, setup: str = "") -> Scenario:
    """A scenario that must raise (the exception's class is the outcome)."""
    return Scenario(f"config_extra.{name}", f"{setup}{statement}\nresult = 'no error'")


_SIG = "[(n, p.kind.name, repr(p.default)) for n, p in __import__('inspect').signature({}).parameters.items()]"
_SCRIPT = (
    "import tempfile, pathlib\n"
    "d = pathlib.Path(tempfile.mkdtemp())\n"
    "s = d / 'job.py'\n"
    "s.write_text('# /// script\\n# requires-python = \">=3.11\"\\n# dependencies = [\"six\"]\\n# ///\\nprint(1)\\n')\n"
)
_TREE = (
    "import tempfile, pathlib\n"
    "d = pathlib.Path(tempfile.mkdtemp())\n"
    "(d / 'src').mkdir()\n"
    "(d / 'src' / 'a.py').write_text('a')\n"
    "(d / '.dockerignore').write_text('*.pyc\\n')\n"
)
_ENV = "env = flyte.TaskEnvironment(name='cfgx')\n"


def _timeout(name: str, given: str, expression: str = "[type(t.timeout).__name__, t.timeout]") -> Scenario:
    """A task decorated with timeout=`given`; the result reads its timeout."""
    return Scenario(f"config_extra.{name}", f"{_ENV}@env.task(timeout={given})\ndef t(x: int) -> int:\n"
                    f"    return x\nresult = {expression}")


SCENARIOS = [
    # Image.with_dockerignore
    _one("dockerignore_signature", _SIG.format("flyte.Image.with_dockerignore")),
    _one("dockerignore_returns_image", "type(flyte.Image.from_debian_base().with_dockerignore(d / '.dockerignore'))"
         ".__name__", _TREE),
    _one("dockerignore_new_object", "flyte.Image.from_debian_base().with_dockerignore(d / '.dockerignore') is not "
         "flyte.Image.from_debian_base()", _TREE),
    _one("dockerignore_missing_file_allowed", "type(flyte.Image.from_debian_base().with_dockerignore("
         "pathlib.Path('/no/such/.dockerignore'))).__name__", "import pathlib\n"),
    _one("dockerignore_str_path", "type(flyte.Image.from_debian_base().with_dockerignore(str(d / '.dockerignore')))"
         ".__name__", _TREE),
    _one("dockerignore_changes_uri", "flyte.Image.from_debian_base(name='a').with_source_folder(d / 'src')"
         ".with_dockerignore(d / '.dockerignore').uri != "
         "flyte.Image.from_debian_base(name='a').with_source_folder(d / 'src').uri", _TREE),
    _one("dockerignore_before_source_folder", "type(flyte.Image.from_debian_base().with_dockerignore("
         "d / '.dockerignore').with_source_folder(d / 'src')).__name__", _TREE),
    _one("dockerignore_chain_keeps_name", "flyte.Image.from_debian_base(name='keep').with_dockerignore("
         "d / '.dockerignore').name", _TREE),
    _one("dockerignore_is_method", "callable(flyte.Image.with_dockerignore)"),
    _err("dockerignore_no_argument", "flyte.Image.from_debian_base().with_dockerignore()"),
    _err("dockerignore_two_arguments", "flyte.Image.from_debian_base().with_dockerignore('a', 'b')"),
    # Image.from_pixi_script
    _one("pixi_signature", _SIG.format("flyte.Image.from_pixi_script")),
    _one("pixi_is_classmethod", "isinstance(flyte.Image.__dict__['from_pixi_script'], classmethod)"),
    _one("pixi_returns_image", "type(flyte.Image.from_pixi_script(s, name='px')).__name__", _SCRIPT),
    _one("pixi_name", "flyte.Image.from_pixi_script(s, name='px').name", _SCRIPT),
    _one("pixi_str_path", "flyte.Image.from_pixi_script(str(s), name='px').name", _SCRIPT),
    _one("pixi_environment_keyword", "flyte.Image.from_pixi_script(s, name='px', environment='gpu').name", _SCRIPT),
    _one("pixi_extra_args_keyword", "flyte.Image.from_pixi_script(s, name='px', extra_args='-v').name", _SCRIPT),
    _one("pixi_environment_changes_uri", "flyte.Image.from_pixi_script(s, name='px', environment='gpu').uri != "
         "flyte.Image.from_pixi_script(s, name='px').uri", _SCRIPT),
    _one("pixi_same_recipe_same_uri", "flyte.Image.from_pixi_script(s, name='px').uri == "
         "flyte.Image.from_pixi_script(s, name='px').uri", _SCRIPT),
    _one("pixi_chains_layers", "type(flyte.Image.from_pixi_script(s, name='px').with_env_vars({'A': '1'}))"
         ".__name__", _SCRIPT),
    _err("pixi_name_required", "flyte.Image.from_pixi_script(s)", _SCRIPT),
    _err("pixi_name_keyword_only", "flyte.Image.from_pixi_script(s, 'px')", _SCRIPT),
    _err("pixi_unknown_keyword", "flyte.Image.from_pixi_script(s, name='px', python_version='3.11')", _SCRIPT),
    # task timeout reads back what was given
    _timeout("timeout_int", "60"),
    _timeout("timeout_float", "1.5"),
    _timeout("timeout_zero", "0"),
    _timeout("timeout_timedelta", "__import__('datetime').timedelta(seconds=5)",
             "[type(t.timeout).__name__, t.timeout.total_seconds()]"),
    _timeout("timeout_object", "flyte.Timeout(max_runtime=30)",
             "[type(t.timeout).__name__, t.timeout.max_runtime, t.timeout.max_queued_time]"),
    _timeout("timeout_object_zero", "flyte.Timeout(0)", "[type(t.timeout).__name__, t.timeout.max_runtime]"),
    _timeout("timeout_override_int", "60", "t.override(timeout=30).timeout"),
    _timeout("timeout_override_other_keeps", "60", "t.override(retries=2).timeout"),
    _timeout("timeout_override_chain", "60", "t.override(timeout=30).override(retries=1).timeout"),
    _timeout("timeout_override_timedelta", "60",
             "t.override(timeout=__import__('datetime').timedelta(minutes=1)).timeout.total_seconds()"),
    _timeout("timeout_original_unchanged", "60", "[t.override(timeout=30).timeout, t.timeout]"),
    _one("timeout_default", "t.timeout", _ENV + "@env.task\ndef t(x: int) -> int:\n    return x\n"),
    _one("timeout_default_override_other", "t.override(retries=1).timeout",
         _ENV + "@env.task\ndef t(x: int) -> int:\n    return x\n"),
    # Timeout(0) and friends
    _one("timeout_zero_fields", "[flyte.Timeout(0).max_runtime, flyte.Timeout(0).max_queued_time, "
         "flyte.Timeout(0).deadline]"),
    _one("timeout_zero_keyword", "flyte.Timeout(max_runtime=0).max_runtime"),
    _one("timeout_zero_queued", "flyte.Timeout(max_runtime=10, max_queued_time=0).max_queued_time"),
    _one("timeout_zero_timedelta", "flyte.Timeout(__import__('datetime').timedelta(0)).max_runtime.total_seconds()"),
    _one("timeout_int_stays_int", "type(flyte.Timeout(60).max_runtime).__name__"),
    _one("timeout_zero_equal", "flyte.Timeout(0) == flyte.Timeout(max_runtime=0)"),
]
