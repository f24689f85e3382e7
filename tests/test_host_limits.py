"""Resources legal for a cluster but impossible on this host: one clear line at call time.

The host's limits are read from prepared /proc + cgroup trees of both hierarchies (v1, v2)
and from this machine; the calls run against the real Docker engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.host_limits import read_limits
from flyte_nb.runners.docker import KERNEL_ID, LABEL


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


PROC = {"proc/meminfo": "MemTotal:        4000000 kB\nMemFree: 1 kB\n",
        "proc/cpuinfo": "processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\nprocessor\t: 3\n"}


def test_cgroup_v2_quota_and_memory_max_bound_the_host(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**PROC, "proc/self/cgroup": "0::/user.slice/kernel\n",
                            "sys/fs/cgroup/cgroup.controllers": "cpu memory\n",
                            "sys/fs/cgroup/user.slice/kernel/cpu.max": "150000 100000\n",
                            "sys/fs/cgroup/user.slice/kernel/memory.max": "1073741824\n"})
    limits = read_limits(root=root)
    assert (limits.cpus, limits.memory) == (1.5, 2**30)
    assert "cgroup v2" in limits.cpu_source and "cgroup v2" in limits.memory_source


def test_cgroup_v2_without_limits_is_the_machine(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**PROC, "proc/self/cgroup": "0::/\n", "sys/fs/cgroup/cgroup.controllers": "cpu\n",
                            "sys/fs/cgroup/cpu.max": "max 100000\n", "sys/fs/cgroup/memory.max": "max\n"})
    limits = read_limits(root=root)
    assert (limits.cpus, limits.memory) == (4.0, 4_000_000 * 1024)


def test_cgroup_v1_quota_and_limit_bound_the_host(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**PROC, "proc/self/cgroup": "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n",
                            "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
                            "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
                            "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "536870912\n"})
    limits = read_limits(root=root)
    assert (limits.cpus, limits.memory) == (2.0, 512 * 2**20)
    assert "cgroup v1" in limits.cpu_source


def test_cgroup_v1_unlimited_and_hidden_paths_are_the_machine(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**PROC, "proc/self/cgroup": "4:memory:/hidden/by/namespace\n1:cpu:/\n",
                            "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
                            "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
                            "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"})
    limits = read_limits(root=root)
    assert (limits.cpus, limits.memory) == (4.0, 4_000_000 * 1024)


def test_this_machine_and_its_engine() -> None:
    engine = docker.from_env().info()
    limits = read_limits(engine)
    assert 0 < limits.cpus <= min(os.cpu_count() or 1, engine["NCPU"])
    assert 0 < limits.memory <= engine["MemTotal"]


# ---- calls against the real engine ---------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield lambda **resources: flyte.TaskEnvironment(name="host_env", resources=flyte.Resources(**resources))
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


@pytest.mark.docker
def test_more_cpu_than_the_host_runs_with_one_notice(env: Any, capfd: pytest.CaptureFixture[str]) -> None:
    @env(cpu=1000).task
    def big() -> int:
        return 1

    capfd.readouterr()
    assert big() == 1  # cpu shares 1024000 were a raw engine error
    lines = [line for line in capfd.readouterr().out.splitlines() if "big" in line and "cpu" in line.lower()]
    assert len(lines) == 1 and "1000" in lines[0] and f"has {read_limits().cpus:g}" in lines[0], lines


@pytest.mark.docker
def test_less_cpu_than_the_engine_quantum_runs_with_one_notice(env: Any, capfd: pytest.CaptureFixture[str]) -> None:
    @env(cpu="1m").task
    def tiny() -> int:
        return 2

    capfd.readouterr()
    assert tiny() == 2  # a 100 us quota was a raw engine error
    err = capfd.readouterr().out
    assert "resources cpu='1m' is below the engine's smallest limit of 10m" in err


@pytest.mark.docker
def test_memory_below_the_engine_minimum_is_a_clear_error(env: Any) -> None:
    @env(memory="1Mi").task
    def small() -> int:
        return 3

    with pytest.raises(flyte.ConfigError) as info:
        small()
    message = str(info.value)
    assert "memory='1Mi'" in message and "minimum of 6Mi" in message and info.value.parameter == "resources"


@pytest.mark.docker
def test_more_memory_than_the_host_is_a_clear_error(env: Any) -> None:
    @env(memory="4Ei").task
    def huge() -> int:
        return 4

    with pytest.raises(flyte.ConfigError) as info:
        huge()
    assert "more than this machine has" in str(info.value) and info.value.parameter == "resources"
