"""Image.with_dockerignore, Image.from_pixi_script and task timeouts as the SDK reads them (no Docker needed)."""

from __future__ import annotations

import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

import flyte_nb as flyte
from flyte_nb.config.errors import ConfigError
from flyte_nb.images import builder
from flyte_nb.images.dockerfile import render
from flyte_nb.images.dockerignore import IgnoreRules

SCRIPT = '''# /// script
# requires-python = ">=3.11"
# dependencies = ["flyte", "httpx[http2]>=0.27"]
#
# [tool.pixi.dependencies]
# gdal = "*"
# ///
print("hi")
'''


def _names(image: flyte.Image) -> list[str]:
    return tarfile.open(fileobj=builder._context(image, "FROM x\n")).getnames()


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    for name in ("a.py", "b.pyc", "sub/c.pyc", "sub/keep.pyc", "sub/d.py"):
        (tmp_path / "src" / name).write_text(name)
    (tmp_path / ".dockerignore").write_text("# comment\n*.pyc\n**/*.pyc\n!sub/keep.pyc\n")
    return tmp_path


def test_existing_recipes_keep_their_tags() -> None:
    """Tags computed before with_dockerignore existed: adding it must not rebuild anyone's images."""
    base = flyte.Image.from_debian_base(name="pip-test", python_version="3.11")
    assert base.tag == "flyte-nb/pip-test:84f84970b06e3203"
    assert base.with_pip_packages("six==1.16.0").with_env_vars({"A": "1"}).tag == "flyte-nb/pip-test:de0905ea71f0575b"


def test_dockerignore_is_in_the_hash_only_when_set(tree: Path) -> None:
    image = flyte.Image.from_debian_base(name="ign").with_source_folder(tree / "src", "/root/src")
    ignored = image.with_dockerignore(tree / ".dockerignore")
    assert ignored.tag != image.tag
    (tree / ".dockerignore").write_text("*.py\n")
    assert image.with_dockerignore(tree / ".dockerignore").tag != ignored.tag  # its content counts


def test_dockerignore_filters_source_folder_copies_in_either_order(tree: Path) -> None:
    after = (flyte.Image.from_debian_base(name="ign").with_source_folder(tree / "src", "/root/src")
             .with_dockerignore(tree / ".dockerignore"))
    before = (flyte.Image.from_debian_base(name="ign").with_dockerignore(tree / ".dockerignore")
              .with_source_folder(tree / "src", "/root/src"))
    assert sorted(n for n in _names(after) if n.startswith("source-0/")) == [
        "source-0/a.py", "source-0/sub", "source-0/sub/d.py", "source-0/sub/keep.pyc"]
    assert sorted(n for n in _names(before) if n.startswith("source-1/")) == [
        "source-1/a.py", "source-1/sub", "source-1/sub/d.py", "source-1/sub/keep.pyc"]
    assert "dockerignore" not in render(after, "BASE")[0].lower()  # no instruction of its own


def test_dockerignore_rules_follow_docker() -> None:
    rules = IgnoreRules("build/\n*.log\n!keep.log\ndocs/**/*.md\n")
    assert rules.excluded("build") and rules.excluded("build/x/y.o")
    assert rules.excluded("a.log") and not rules.excluded("keep.log") and not rules.excluded("sub/a.log")
    assert rules.excluded("docs/a/b/c.md") and rules.excluded("docs/c.md") and not rules.excluded("docs/c.txt")


def test_dockerignore_missing_at_definition_is_allowed_but_fails_the_build_clearly(tree: Path) -> None:
    image = flyte.Image.from_debian_base(name="ign").with_source_folder(tree / "src").with_dockerignore("/nope/.di")
    with pytest.raises(builder.ImageBuildError, match=r"with_dockerignore\('/nope/.di'\).*not found at build time"):
        _names(image)
    with pytest.raises(ValueError, match="with_dockerignore needs a path"):
        flyte.Image.from_debian_base().with_dockerignore("  ")


def test_from_pixi_script_plan(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    image = flyte.Image.from_pixi_script(script, name="px")
    dockerfile = render(image, "BASE")[0]
    assert "COPY pixi-0 /root/.flyte-nb-pixi" in dockerfile
    assert "pixi install --manifest-path /root/.flyte-nb-pixi/pixi.toml --environment default" in dockerfile
    assert "--locked" not in dockerfile and "PATH=/root/.flyte-nb-pixi/.pixi/envs/default/bin:$PATH" in dockerfile
    context = tarfile.open(fileobj=builder._context(image, dockerfile))
    manifest = context.extractfile("pixi-0/pixi.toml").read().decode()  # type: ignore[union-attr]
    import tomllib

    parsed = tomllib.loads(manifest)
    assert parsed["workspace"]["name"] == "px" and parsed["workspace"]["channels"] == ["conda-forge"]
    assert parsed["dependencies"] == {"python": ">=3.11", "gdal": "*"}
    assert parsed["pypi-dependencies"] == {"flyte": "*", "httpx": {"version": ">=0.27", "extras": ["http2"]}}


def test_from_pixi_script_lock_file_is_used_and_hashed(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    unlocked = flyte.Image.from_pixi_script(script, name="px", environment="gpu", extra_args="-v")
    (tmp_path / "job.py.pixi.lock").write_text("version: 6\n")
    locked = flyte.Image.from_pixi_script(script, name="px", environment="gpu", extra_args="-v")
    assert locked.tag != unlocked.tag
    assert "--environment gpu --locked -v" in render(locked, "BASE")[0]
    assert "pixi-0/pixi.lock" in _names(locked)


def test_from_pixi_script_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="from_pixi_script: no file '/nope.py'"):
        flyte.Image.from_pixi_script("/nope.py", name="px")
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    with pytest.raises(ValueError, match="environment must be a pixi environment name, got 'a b'"):
        flyte.Image.from_pixi_script(script, name="px", environment="a b")


env = flyte.TaskEnvironment("image_extras")


def test_task_timeout_reads_back_as_given() -> None:
    @env.task(timeout=60)
    def t() -> None: ...

    assert t.timeout == 60 and type(t.timeout) is int
    assert t.resolve().value("timeout").seconds("max_runtime") == 60.0  # what the runtime waits on
    assert t.override(timeout=timedelta(seconds=5)).timeout == timedelta(seconds=5)
    assert t.override(retries=2).timeout == 60
    assert t.override(timeout=flyte.Timeout(max_runtime=3)).timeout == flyte.Timeout(max_runtime=3)


def test_timeout_zero_means_no_limit() -> None:
    @env.task(timeout=0)
    def t() -> None: ...

    assert t.timeout == 0
    assert t.resolve().value("timeout").seconds("max_runtime") is None
    assert flyte.Timeout(0).max_runtime == 0 and flyte.Timeout(0).seconds("max_runtime") is None
    with pytest.raises(ConfigError, match=r"timeout=-1 is invalid at the @env.task decorator level.*>= 0 seconds"):
        env.task(timeout=-1)


def test_export_writes_pixi_and_dockerignore_images_as_sdk_code(tmp_path: Path, tree: Path) -> None:
    from flyte_nb.config.jsonable import image_code
    from flyte_nb.export.sdk_code import SdkCode

    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    image = (flyte.Image.from_pixi_script(script, name="px", environment="gpu")
             .with_dockerignore(tree / ".dockerignore").with_source_folder(tree / "src", "/root/src"))
    writer = SdkCode()
    assert writer.image(image) == (
        "flyte.Image.from_pixi_script(HERE / 'files' / 'job.py', name='px', environment='gpu')"
        ".with_dockerignore(HERE / 'files' / '.dockerignore').with_source_folder(HERE / 'files' / 'src', '/root/src')")
    assert set(writer.files) == {"job.py", ".dockerignore", "src"}
    assert image_code(image).startswith(f"flyte.Image.from_pixi_script({str(script)!r}, name='px', environment='gpu')"
                                        f".with_dockerignore(")


def test_zero_timeout_runs_the_task_without_a_limit(inprocess: None) -> None:
    """A zero bound is no limit in the runtime too (it must not stop the attempt at once)."""
    @env.task(timeout=flyte.Timeout(max_runtime=0, max_queued_time=0, deadline=0))
    async def sleeps_a_little() -> int:
        import asyncio

        await asyncio.sleep(0.05)
        return 7

    assert flyte.run(sleeps_a_little).outputs() == (7,)
