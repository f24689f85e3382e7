"""Images against the real engine: the offline base, builds once per recipe, clear failures, never pull."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.errors import RunnerUnavailableError
from flyte_nb.images import bootstrap
from flyte_nb.images.builder import ImageBuildError, ensure_image, image_python_version

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


def test_offline_base_image_exists_with_the_kernels_python(client: docker.DockerClient) -> None:
    image = client.images.get(bootstrap.BASE_IMAGE)
    assert image.labels["flyte-nb.python"] == f"{sys.version_info[0]}.{sys.version_info[1]}"
    out = client.containers.run(bootstrap.BASE_IMAGE, ["python3", "-c", "import sys; print(*sys.version_info[:2])"],
                                network_mode="none", remove=True).decode().split()
    assert tuple(map(int, out)) == sys.version_info[:2] == image_python_version(bootstrap.BASE_IMAGE)


def test_bootstrap_is_idempotent(client: docker.DockerClient) -> None:
    before = client.images.get(bootstrap.BASE_IMAGE).id
    lines: list[str] = []
    assert bootstrap.bootstrap(log=lines.append) == bootstrap.BASE_IMAGE
    assert client.images.get(bootstrap.BASE_IMAGE).id == before and "nothing to do" in lines[0]


def test_bootstrap_without_engine_is_a_clear_error() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    done = subprocess.run([sys.executable, "-m", "flyte_nb.images", "bootstrap"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 1 and "no Docker engine answers at unix:///nonexistent.sock" in done.stderr


@pytest.fixture(scope="module")
def pip_image() -> flyte.Image:
    return flyte.Image.from_debian_base(name="pip-test").with_pip_packages("six==1.16.0").with_env_vars({"BAKED": "1"})


def test_pip_layer_builds_streams_and_runs(client: docker.DockerClient, pip_image: flyte.Image) -> None:
    lines: list[str] = []
    ref = ensure_image(pip_image, log=lines.append)
    assert ref == pip_image.tag and ref.startswith("flyte-nb/pip-test:")
    if lines:  # a fresh machine builds it here; the log streamed line by line
        assert any("Step" in line for line in lines)
    out = client.containers.run(ref, ["python3", "-c", "import six, os; print(six.__version__, os.environ['BAKED'])"],
                                network_mode="none", remove=True).decode().split()
    assert out == ["1.16.0", "1"]


def test_unchanged_image_is_not_rebuilt(client: docker.DockerClient, pip_image: flyte.Image) -> None:
    first = client.images.get(ensure_image(pip_image)).id
    lines: list[str] = []
    start = time.perf_counter()
    ref = ensure_image(flyte.Image.from_debian_base(name="pip-test").with_pip_packages("six==1.16.0")
                       .with_env_vars({"BAKED": "1"}), log=lines.append)
    assert client.images.get(ref).id == first and lines == []
    assert time.perf_counter() - start < 5  # one inspect call, not a build (timed in bench/, not here)


def test_apt_layer(client: docker.DockerClient) -> None:
    ref = ensure_image(flyte.Image.from_debian_base(name="apt-test").with_apt_packages("jq"))
    out = client.containers.run(ref, ["jq", "--version"], network_mode="none", remove=True).decode()
    assert out.startswith("jq-")


def test_failed_build_names_the_layer(client: docker.DockerClient) -> None:
    bad = flyte.Image.from_debian_base(name="bad").with_env_vars({"A": "1"}).with_pip_packages("nonexistent-pkg-xyz-42")
    with pytest.raises(ImageBuildError, match=r"layer 2/2: pip install nonexistent-pkg-xyz-42") as info:
        ensure_image(bad)
    assert bad.tag in str(info.value)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(bad.tag)
    client.images.prune(filters={"dangling": True})


def test_never_pulls_a_missing_base() -> None:
    with pytest.raises(RunnerUnavailableError, match="never pulls"):
        ensure_image(flyte.Image.from_base("does-not-exist:1").with_env_vars({"A": "1"}))


def test_python_version_mismatch_is_refused_before_building() -> None:
    with pytest.raises(RunnerUnavailableError, match=r"python_version 3\.12 is not available"):
        ensure_image(flyte.Image.from_debian_base(python_version="3.12").with_env_vars({"A": "1"}))


def test_requirements_and_commands_layers(tmp_path, client: docker.DockerClient) -> None:  # type: ignore[no-untyped-def]
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n")
    image = (flyte.Image.from_debian_base(name="req-test").with_requirements(req)
             .with_commands(["mkdir -p /opt/marker && echo built > /opt/marker/ok"]).with_workdir("/opt/marker"))
    ref = ensure_image(image)
    out = client.containers.run(ref, ["sh", "-c", "cat ok && python3 -c 'import six'"], network_mode="none",
                                remove=True).decode()
    assert out.strip() == "built"


def test_dockerignore_leaves_files_out_of_the_built_image(tmp_path, client: docker.DockerClient) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src" / "cache").mkdir(parents=True)
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "src" / "secret.env").write_text("TOKEN=1\n")
    (tmp_path / "src" / "cache" / "big.bin").write_text("0" * 100)
    (tmp_path / ".dockerignore").write_text("*.env\ncache/\n")
    image = (flyte.Image.from_debian_base(name="ignore-test").with_dockerignore(tmp_path / ".dockerignore")
             .with_source_folder(tmp_path / "src", "/root/src"))
    out = client.containers.run(ensure_image(image), ["sh", "-c", "cd /root/src && find . | sort"],
                                network_mode="none", remove=True).decode()
    assert out.split() == [".", "./app.py"]


def test_pixi_script_without_pixi_fails_with_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "job.py"
    script.write_text("# /// script\n# dependencies = ['six']\n# ///\nprint(1)\n")
    image = flyte.Image.from_pixi_script(script, name="pixi-test")
    with pytest.raises(ImageBuildError, match=r"layer 1/1: pixi install .*job.py") as info:
        ensure_image(image)
    assert "from_pixi_script: pixi is not installed in the image" in str(info.value)


def test_each_python_version_names_the_debian_suite_that_has_it() -> None:
    """bookworm has Python 3.11, trixie 3.13: from_debian_base(python_version=) picks the suite's base image;
    a version no suite has is refused naming the suites; the CLI makes any suite (`--suite trixie`)."""
    from flyte_nb.errors import RunnerUnavailableError
    from flyte_nb.images.builder import base_reference

    assert flyte.Image.from_debian_base(python_version=(3, 13)).base_image == "flyte-nb/debian-base:trixie-py3.13"
    assert flyte.Image.from_debian_base(python_version="3.11").base_image == bootstrap.BASE_IMAGE
    assert bootstrap.suite_for((3, 13)) == "trixie" and bootstrap.base_image_name((3, 13)).startswith(
        "flyte-nb/debian-base:trixie")
    with pytest.raises(RunnerUnavailableError, match=r"python_version 3\.12.*bookworm has 3\.11, trixie has 3\.13"):
        base_reference(flyte.Image.from_debian_base(python_version=(3, 12)))
    with pytest.raises(bootstrap.BootstrapError, match=r"no Debian suite has Python 3\.12"):
        bootstrap.suite_for((3, 12))
    if not bootstrap.exists(bootstrap.base_image_name((3, 13))):
        with pytest.raises(RunnerUnavailableError, match=r"bootstrap --suite trixie"):
            base_reference(flyte.Image.from_debian_base(python_version=(3, 13)))
    done = subprocess.run([sys.executable, "-m", "flyte_nb.images", "bootstrap", "--suite", "sid"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "invalid choice: 'sid'" in done.stderr and "trixie" in done.stderr
