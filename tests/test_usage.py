"""What a call used: the cgroup readers (v1 and v2 fixture trees, and the real hierarchy here), the
process reader, the meter, the kernel's record of the frames, the cell's text and the right-sizing hint."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from flyte_nb import cgroups
from flyte_nb.rightsizing import cpu_hint, hint, memory_hint, memory_step, memory_text
from flyte_nb.usage import CgroupReader, Meter, ProcessReader, Reading, Usage, process_age, summary

MiB, GiB = 2**20, 2**30
_START = time.time()  # import time of this module: the test process started before it


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


V1 = {"proc/self/cgroup": "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/docker/abc\n",
      "sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": "104857600\n",
      "sys/fs/cgroup/memory/docker/abc/memory.max_usage_in_bytes": "325058560\n",
      "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "2147483648\n",
      "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage": "900000000\n"}
V2 = {"proc/self/cgroup": "0::/system.slice/docker-abc.scope\n",
      "sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
      "sys/fs/cgroup/system.slice/docker-abc.scope/memory.current": "104857600\n",
      "sys/fs/cgroup/system.slice/docker-abc.scope/memory.peak": "325058560\n",
      "sys/fs/cgroup/system.slice/docker-abc.scope/memory.max": "max\n",
      "sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat": "usage_usec 900000\nuser_usec 800000\n"}


def test_cgroup_v1_reader_reads_usage_peak_cpu_and_limit(tmp_path: Path) -> None:
    reader = CgroupReader(_tree(tmp_path, V1))
    assert reader.source == "cgroup v1"
    assert reader.read() == Reading(memory=100 * MiB, peak=310 * MiB, cpu=0.9, limit=2 * GiB)


def test_cgroup_v1_inside_a_container_is_the_mount_root(tmp_path: Path) -> None:
    """Docker mounts the container's own cgroup at the root; /proc/self/cgroup still names the host's path."""
    files = {"proc/self/cgroup": "4:memory:/docker/abc\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n",
             "sys/fs/cgroup/memory/memory.usage_in_bytes": "1048576\n",
             "sys/fs/cgroup/memory/memory.max_usage_in_bytes": "2097152\n",
             "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
             "sys/fs/cgroup/cpuacct/cpuacct.usage": "1500000000\n", "sys/fs/cgroup/cpu/cpu.shares": "1024\n"}
    assert CgroupReader(_tree(tmp_path, files)).read() == Reading(memory=MiB, peak=2 * MiB, cpu=1.5, limit=None)


def test_cgroup_v2_reader_reads_current_peak_cpu_stat_and_max(tmp_path: Path) -> None:
    reader = CgroupReader(_tree(tmp_path, V2))
    assert reader.source == "cgroup v2"
    assert reader.read() == Reading(memory=100 * MiB, peak=310 * MiB, cpu=0.9, limit=None)


def test_a_shared_worker_counts_cpu_from_the_call_and_no_container_peak(tmp_path: Path) -> None:
    root = _tree(tmp_path, V2)
    reader = CgroupReader(root, shared=True)
    (root / "sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat").write_text("usage_usec 1400000\n")
    reading = reader.read()
    assert reading.peak is None and math.isclose(reading.cpu or 0, 0.5) and "shared" in reader.source


def test_missing_files_read_as_unknown(tmp_path: Path) -> None:
    reading = CgroupReader(_tree(tmp_path, {"proc/self/cgroup": "0::/\n",
                                            "sys/fs/cgroup/cgroup.controllers": "cpu\n"})).read()
    assert reading == Reading(memory=None, peak=None, cpu=None, limit=None)


def test_the_real_cgroup_of_this_machine_reads_as_its_hierarchy() -> None:
    """This process's own cgroup, whichever hierarchy this machine has (v1 here when written, v2 on CI runners)."""
    kind = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout.strip()
    reader = CgroupReader()
    assert reader.source == ("cgroup v2" if kind == "cgroup2fs" else "cgroup v1")
    before = reader.read()
    burn = time.process_time() + 0.2
    while time.process_time() < burn:
        pass
    after = reader.read()
    assert before.memory and before.memory > 0
    assert before.cpu is not None and after.cpu is not None and after.cpu >= before.cpu + 0.15
    peak_file = "memory.peak" if reader.folders.version == "v2" else "memory.max_usage_in_bytes"
    if (reader.folders.memory / peak_file).exists():  # memory.peak needs Linux 5.19
        assert after.peak is not None and after.peak >= after.memory * 0.5


def test_process_reader_counts_this_process_and_its_children() -> None:
    before = ProcessReader().read()
    subprocess.run(["python3", "-c", "x = b'1' * (120 * 2**20); import time; t = time.process_time() + 0.3\n"
                    "while time.process_time() < t: pass"], check=True)
    after = ProcessReader().read()
    assert after.peak is not None and after.peak >= 120 * MiB  # the child's high-water mark
    assert (after.cpu or 0) >= (before.cpu or 0) + 0.25
    assert after.memory and after.memory > 0
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    assert after.limit == (soft if 0 < soft < 2**62 else None)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Steady:
    source = "test"

    def __init__(self) -> None:
        self.memory = 10 * MiB

    def read(self) -> Reading:
        return Reading(memory=self.memory, peak=None, cpu=0.25, limit=64 * MiB)


def test_the_meter_sends_samples_then_final_figures_and_keeps_the_largest_sample_as_peak() -> None:
    sent: list[dict[str, Any]] = []
    clock, reader = _Clock(), _Steady()
    meter = Meter(reader, sent.append, clock=clock).start()
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    reader.memory = 40 * MiB
    time.sleep(0.3)
    reader.memory = 5 * MiB
    clock.now = 101.5
    meter.stop()
    assert sent[0]["final"] is False and sent[0]["memory"] == 10 * MiB
    assert [frame["final"] for frame in sent].count(True) == 1 and sent[-1]["final"] is True
    assert sent[-1] == {"t": 1.5, "memory": 5 * MiB, "peak": 40 * MiB, "cpu": 0.25, "limit": 64 * MiB,
                        "source": "test", "final": True}


def test_the_first_sample_is_taken_before_start_returns_and_wall_time_counts_from_the_process_start() -> None:
    sent: list[dict[str, Any]] = []
    clock = _Clock()
    meter = Meter(_Steady(), sent.append, clock=clock, age=0.75)
    assert sent == []
    meter.start()
    assert len(sent) == 1 and sent[0]["t"] == 0.75  # before the task can hold the GIL or be OOM-killed
    meter.stop()


def test_process_age_reads_proc_and_is_zero_when_it_cannot(tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = " ".join(["S"] + ["0"] * 18 + [str(50 * ticks)])  # field 22 (starttime) is the 20th after ")"
    root = _tree(tmp_path, {"proc/self/stat": f"42 (python (a) b) {fields} 0 0\n", "proc/uptime": "52.5 100.0\n"})
    assert math.isclose(process_age(root), 2.5)
    assert process_age(tmp_path / "nothing") == 0.0
    age = process_age()
    assert time.time() - _START - 0.05 <= age < 24 * 3600  # this pytest process started before this module loaded


def test_a_meter_whose_kernel_is_gone_does_not_fail_the_task() -> None:
    def refuse(_: dict[str, Any]) -> None:
        raise ConnectionRefusedError("no controller")

    Meter(_Steady(), refuse).start().stop()  # no exception


def _frame(**fields: Any) -> dict[str, Any]:
    return {"t": 1.0, "memory": MiB, "peak": 2 * MiB, "cpu": 0.5, "limit": 64 * MiB, "source": "cgroup v2",
            "final": False, **fields}


@pytest.mark.parametrize("bad", [
    {"t": -1}, {"t": float("nan")}, {"t": "1"}, {"t": True}, {"memory": -5}, {"memory": 1.5}, {"peak": "big"},
    {"cpu": float("inf")}, {"limit": 2**64}, {"source": 3}, {"source": "x" * 100},
])
def test_a_malformed_frame_is_refused_and_changes_nothing(bad: dict[str, Any]) -> None:
    usage = Usage()
    usage.update(_frame(), received=1.0)
    before = usage.to_json()
    with pytest.raises(ValueError, match="usage frame"):
        usage.update(_frame(**bad), received=2.0)
    assert usage.to_json() == before
    with pytest.raises(ValueError, match="must be an object"):
        usage.update([1, 2], received=2.0)


def test_frames_build_the_record_and_thin_out_past_the_cap() -> None:
    usage = Usage()
    for n in range(300):
        usage.update(_frame(t=n / 10, memory=(n % 50) * MiB, peak=None, cpu=n / 20), received=1000.0 + n / 10)
    usage.update(_frame(t=30.0, final=True, peak=None, memory=MiB, cpu=15.0), received=1030.0)
    assert usage.complete and usage.peak_memory == 49 * MiB and usage.cpu_seconds == 15.0
    assert usage.wall_seconds == 30.0 and len(usage.samples) <= 120
    assert usage.samples[0].t == 0.0 and usage.samples[-1].t == 30.0 and usage.samples[-1].at == 1030.0
    usage.finish(31.0, "succeeded")
    assert usage.wall_seconds == 30.0 and usage.ended is None  # complete: the task's own figures stand


def test_an_oom_kill_ends_the_measure_at_the_limit_and_a_timeout_at_the_kernels_time() -> None:
    oom = Usage()
    oom.update(_frame(memory=20 * MiB, peak=30 * MiB), received=1.0)
    oom.finish(0.8, "oom")
    assert (oom.peak_memory, oom.wall_seconds, oom.ended) == (64 * MiB, 1.0, "oom")
    assert summary(oom) == "peak reached 64 MiB of 64 MiB, 0.5 CPU-s, 1.0s"
    stopped = Usage()
    stopped.update(_frame(), received=1.0)
    stopped.finish(2.5, "timed_out")
    assert stopped.wall_seconds == 2.5 and summary(stopped) == \
        "peak 2 MiB of 64 MiB, 0.5 CPU-s, 2.5s, measured until timed out"


def test_summary_reads_like_the_cell_says_it() -> None:
    usage = Usage(source="cgroup v1", peak_memory=310 * MiB, cpu_seconds=0.93, wall_seconds=1.24,
                  memory_limit=2 * GiB, complete=True)
    assert summary(usage) == "peak 310 MiB of 2 GiB, 0.9 CPU-s, 1.2s"
    assert summary(Usage(peak_memory=1536 * MiB, cpu_seconds=None, wall_seconds=3.0)) == "peak 1.5 GiB, 3.0s"
    assert summary(None) == ""


# ---- the right-sizing hint -----------------------------------------------------------------------
def test_memory_steps_are_quantities_people_write() -> None:
    assert [memory_text(memory_step(n * MiB)) for n in (1, 64, 65, 100, 200, 465, 700, 1025, 1600)] == \
        ["64Mi", "64Mi", "96Mi", "128Mi", "256Mi", "512Mi", "768Mi", "1536Mi", "2Gi"]


def test_far_above_use_suggests_the_peak_with_headroom() -> None:
    found = hint({"memory": "2Gi"}, peak=310 * MiB, cpu_seconds=0.9, wall=1.2)
    assert str(found) == "resources=flyte.Resources(memory='512Mi') would fit (asked for 2 GiB, peak 310 MiB)"
    assert found is not None and not found.more and not found.guess


def test_near_the_limit_suggests_more_and_keeps_the_other_fields() -> None:
    found = hint({"cpu": 1, "memory": "256Mi", "gpu": "T4:1"}, peak=240 * MiB, cpu_seconds=0.9, wall=1.2)
    assert str(found) == ("resources=flyte.Resources(cpu=1, memory='384Mi', gpu='T4:1') would fit "
                          "(peak 240 MiB is near its 256 MiB limit)")
    assert found is not None and found.more and not found.guess


def test_an_oom_kill_suggests_twice_the_limit_as_a_try() -> None:
    found = hint({"memory": "64Mi"}, peak=64 * MiB, cpu_seconds=0.1, wall=0.5, oom=True)
    assert found is not None and found.guess and found.more
    assert str(found) == ("try resources=flyte.Resources(memory='128Mi') "
                          "(killed for running out of memory (OOM) at its 64 MiB limit)")


def test_a_request_limit_pair_is_judged_by_its_request() -> None:
    assert hint({"memory": ["1Gi", "2Gi"]}, peak=300 * MiB, cpu_seconds=1, wall=2) is None  # 1 GiB < 4 x 300 MiB
    found = hint({"memory": ["2Gi", "4Gi"]}, peak=300 * MiB, cpu_seconds=1, wall=2)
    assert found is not None and found.code == "resources=flyte.Resources(memory='512Mi')"


def test_cpu_far_above_use_over_a_long_enough_run() -> None:
    assert cpu_hint(cpu_seconds=10.0, wall=10.0, request=8, limit=8) == (2, "asked for 8 CPU, used 1.0 on average")
    assert cpu_hint(cpu_seconds=0.1, wall=0.5, request=8, limit=8) is None  # too short to tell
    assert cpu_hint(cpu_seconds=1.0, wall=10.0, request=1, limit=1) is None  # one core is the least
    assert cpu_hint(cpu_seconds=30.0, wall=10.0, request=4, limit=4) is None  # it used them
    found = hint({"cpu": 8, "memory": "512Mi"}, peak=300 * MiB, cpu_seconds=10, wall=10)
    assert str(found) == "resources=flyte.Resources(cpu=2, memory='512Mi') would fit (asked for 8 CPU, used 1.0 on average)"


def test_a_setting_that_fits_or_no_setting_gives_no_hint() -> None:
    assert hint({"memory": "512Mi"}, peak=300 * MiB, cpu_seconds=1, wall=2) is None
    assert hint(None, peak=300 * MiB, cpu_seconds=1, wall=2) is None
    assert hint({"cpu": 2}, peak=None, cpu_seconds=None, wall=None) is None
    assert memory_hint(peak=None, request=GiB, limit=GiB, oom=False) is None
    assert memory_hint(peak=10 * MiB, request=None, limit=None, oom=False) is None
    assert memory_hint(peak=20 * MiB, request=100 * MiB, limit=100 * MiB, oom=False) is None  # saving < 128 MiB


def test_cgroup_helpers_read_numbers_and_say_unknown() -> None:
    assert cgroups.byte_count("max\n") is None and cgroups.byte_count("9223372036854771712") is None
    assert cgroups.byte_count("4096\n") == 4096 and cgroups.number("-1") == -1
    assert cgroups.stat_field("usage_usec 12\nuser_usec 3\n", "user_usec") == 3
    assert cgroups.stat_field("", "usage_usec") is None and os.sep == "/"
