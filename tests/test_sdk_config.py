"""flyte 2.12.1's configuration surface where the conformance harness cannot reach: files, pickles, the runtime."""

from __future__ import annotations

import pickle
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import flyte_nb as flyte
from flyte_nb.runtime import _backoff

SCRIPT = """# /// script
# requires-python = "{requires}"
# dependencies = ["requests>=2"]
# ///
print("hi")
"""


def _script(tmp_path: Path, requires: str) -> Path:
    path = tmp_path / "job.py"
    path.write_text(SCRIPT.format(requires=requires), encoding="utf-8")
    return path


def test_from_uv_script_honors_requires_python(tmp_path: Path) -> None:
    """A script this kernel's Python satisfies builds on it; one it does not is refused, naming requires-python."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    image = flyte.Image.from_uv_script(_script(tmp_path, f">={here}"), name="job")
    assert tuple(image.python_version) == sys.version_info[:2]
    assert image.layers[0].packages == ("requests>=2",)
    with pytest.raises(ValueError, match=r"requires-python='>=3\.99'"):
        flyte.Image.from_uv_script(_script(tmp_path, ">=3.99"), name="job")
    with pytest.raises(ValueError, match="not a version specifier"):
        flyte.Image.from_uv_script(_script(tmp_path, "three"), name="job")


def test_retries_wait_as_the_backoff_says() -> None:
    """The runtime waits min(base * factor**n, cap) before retry n (attempt n+1), not a constant."""
    strategy = flyte.RetryStrategy(3, backoff=flyte.Backoff(timedelta(seconds=1), 2.0, timedelta(seconds=3)))
    assert [_backoff(strategy, attempt) for attempt in (1, 2, 3)] == [1.0, 2.0, 3.0]
    assert _backoff(flyte.RetryStrategy(2, backoff=0.5), 2) == 0.5  # a bare delay is a constant Backoff


def test_pod_template_builders_copy_and_keep_the_original() -> None:
    original = flyte.PodTemplate(labels={"team": "a"})
    built = original.with_termination_grace_period(timedelta(minutes=2)).allow_fuse().allow_nested_sandboxing()
    assert original.pod_spec is None and original.annotations is None
    assert built.pod_spec["termination_grace_period_seconds"] == 120
    primary = built.pod_spec["containers"][0]
    assert primary["name"] == "primary" and primary["security_context"]["capabilities"]["add"] == ["SYS_ADMIN"]
    assert built.annotations["flyte.org/capability-fuse"] == "true" and built.labels == {"team": "a"}
    with pytest.raises(ValueError, match="privileged"):
        built.allow_fuse(privileged=True)  # nested sandboxing forbade escalation


def test_settings_keep_their_sdk_forms_through_a_pickle() -> None:
    """Tasks travel pickled into containers: TriggerTime stays the one sentinel, derived defaults survive."""
    trigger = flyte.Trigger.hourly("at")
    assert pickle.loads(pickle.dumps(trigger)).inputs["at"] is flyte.TriggerTime
    secret = pickle.loads(pickle.dumps(flyte.Secret("api-key", group="team")))
    assert secret.as_env_var == "TEAM_API_KEY" and repr(secret) == "Secret(key='api-key', group='team')"
    env = flyte.TaskEnvironment(name="pickled", include=("a.py",), secrets="k")
    again = pickle.loads(pickle.dumps(env))
    assert again.include == ("a.py",) and again.secrets == "k"


def test_entrypoint_and_include_are_checked_and_kept_on_overrides() -> None:
    env = flyte.TaskEnvironment(name="entry")

    @env.task(entrypoint=True)
    def main() -> int:
        return 1

    assert main.entrypoint and main.override(retries=1).entrypoint
    with pytest.raises(flyte.ConfigError, match="entrypoint='yes'"):
        env.task(entrypoint="yes")
    with pytest.raises(flyte.ConfigError, match="include='a.py'"):
        flyte.TaskEnvironment(name="bad_include", include="a.py")


def test_an_edited_environment_reads_its_new_value() -> None:
    """Attributes show what was given, until the panel replaces that setting."""
    env = flyte.TaskEnvironment(name="edited", cache="on")
    assert env.cache == "on"
    env.replace_settings({**env.settings, "cache": "disable"})
    assert env.cache.behavior == "disable"


def test_with_uv_project_installs_the_projects_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "proj"\ndependencies = ["requests>=2", "rich"]\n',
                                             encoding="utf-8")
    image = flyte.Image.from_debian_base().with_uv_project(tmp_path / "pyproject.toml", pre=True)
    assert [layer.kind for layer in image.layers] == ["pip"]
    assert image.layers[0].packages == ("requests>=2", "rich") and image.layers[0].pre
    installed = flyte.Image.from_debian_base().with_uv_project(tmp_path / "pyproject.toml",
                                                               project_install_mode="install_project")
    assert [layer.kind for layer in installed.layers] == ["pip", "source_folder", "commands"]
    assert installed.layers[1].dst == f"/root/{tmp_path.name}"
    with pytest.raises(ValueError, match="project_install_mode"):
        flyte.Image.from_debian_base().with_uv_project(tmp_path / "pyproject.toml", project_install_mode="all")
    with pytest.raises(ValueError, match="no file"):
        flyte.Image.from_debian_base().with_uv_project(tmp_path / "missing.toml")
