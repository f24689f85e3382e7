"""Data passing: inline up to max_inline_io_bytes, files, folders, arrays and frames by reference."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.errors import InlineIOLimitError
from flyte_nb.io import Dir, File
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runs import Status

pytestmark = pytest.mark.docker


@pytest.fixture(params=["docker", "local"])
def runner(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner=request.param, quiet=True)
    yield request.param
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


@pytest.fixture
def docker_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)


env = flyte.TaskEnvironment(name="io_env")


@env.task
def shout(text: File) -> File:
    out = File.new_remote("loud.txt")
    with text.open("r") as src, out.open("w") as dst:
        dst.write(src.read().upper())
    return out


@env.task
async def index(folder: Dir) -> Dir:
    out = Dir.new_remote("index")
    names = []
    async for file in folder.walk():
        async with file.open("rb") as handle:
            names.append(f"{os.path.relpath(file.path, folder.path)}:{len(await handle.read())}")
    Path(out.path, "names.txt").write_text("\n".join(names))
    Path(out.path, "sub").mkdir()
    Path(out.path, "sub", "count.txt").write_text(str(len(names)))
    return out


@env.task
def length(data: bytes) -> int:
    return len(data)


@env.task(retries=2, max_inline_io_bytes=1024 * 1024)
def blob(size: int) -> bytes:
    return b"z" * size


def test_file_round_trip(runner: str, tmp_path: Path) -> None:
    source = tmp_path / "words.txt"
    source.write_text("hello blob store")
    sent = File.from_local_sync(source)
    assert sent.key.startswith("sha256/") and Path(sent.path).read_text() == "hello blob store"
    back = shout(sent)
    assert isinstance(back, File) and back != sent
    assert Path(back.path).read_text() == "HELLO BLOB STORE"
    assert Path(back.download_sync(tmp_path)).read_text() == "HELLO BLOB STORE"
    assert File.from_local_sync(source) == sent  # content addressed


def test_dir_round_trip(runner: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "deep").mkdir(parents=True)
    (folder / "a.txt").write_text("aaa")
    (folder / "deep" / "b.bin").write_bytes(b"\0" * 5000)
    result = flyte.run(index, Dir.from_local_sync(folder)).outputs()[0]
    assert isinstance(result, Dir)
    assert Path(result.path, "names.txt").read_text().splitlines() == ["a.txt:3", "deep/b.bin:5000"]
    assert [Path(f.path).name for f in result.walk_sync()] == ["names.txt", "count.txt"]
    assert [Path(f.path).name for f in result.list_files_sync()] == ["names.txt"]
    copy = Path(result.download_sync(tmp_path / "out"))
    assert (copy / "sub" / "count.txt").read_text() == "2"


def test_inputs_above_the_inline_limit_fail_before_any_container(runner: str) -> None:
    with pytest.raises(InlineIOLimitError) as caught:
        length(b"y" * (11 * 2**20))
    message = str(caught.value)
    assert "io_env.length" in message and "inputs are 11,534,3" in message
    assert "max_inline_io_bytes=10,485,760" in message and "flyte.io.File" in message
    run = flyte.registry().runs[-1]
    assert run.status is Status.FAILED and run.attempts[0].container is None  # nothing started
    assert length.override(max_inline_io_bytes=12 * 2**20)(b"y" * (11 * 2**20)) == 11 * 2**20


def test_outputs_above_the_limit_fail_and_are_not_retried(runner: str) -> None:
    assert len(blob(1000)) == 1000
    with pytest.raises(InlineIOLimitError, match=r"io_env.blob: its outputs are 2,097,1\d\d bytes inline, "
                                                 r"above max_inline_io_bytes=1,048,576"):
        blob(2 * 2**20)
    assert len(flyte.registry().runs[-1].attempts) == 1  # retries=2, but it would fail again


def test_file_inputs_key_the_cache_by_content(docker_only: None, tmp_path: Path) -> None:
    cached = env.task(cache="auto")(_shout_cached)
    first, second = tmp_path / "1.txt", tmp_path / "2.txt"
    first.write_text("same")
    second.write_text("same")
    assert Path(cached(File.from_local_sync(first)).path).read_text() == "SAME"
    assert Path(cached(File.from_local_sync(second)).path).read_text() == "SAME"
    assert flyte.registry().runs[-1].status is Status.CACHED
    first.write_text("other")
    assert Path(cached(File.from_local_sync(first)).path).read_text() == "OTHER"
    assert flyte.registry().runs[-1].status is Status.SUCCEEDED  # new content, new key


def _shout_cached(text: File) -> File:
    out = File.new_remote("loud.txt")
    with text.open("r") as src, out.open("w") as dst:
        dst.write(src.read().upper())
    return out


def test_arrays_and_frames_travel_by_reference(docker_only: None) -> None:
    import numpy
    import pandas

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")
    data_env = flyte.TaskEnvironment(name="io_data", image=image)

    @data_env.task(max_inline_io_bytes=64 * 1024)
    def transform(matrix: Any, frame: Any) -> tuple[Any, Any]:
        return matrix * 2, frame.assign(total=frame["a"] + frame["b"])

    matrix = numpy.arange(4_000_000, dtype=numpy.float64).reshape(2000, 2000)  # 32 MB
    frame = pandas.DataFrame({"a": numpy.arange(100_000), "b": numpy.ones(100_000)})  # 1.6 MB
    doubled, totals = transform(matrix, frame)
    assert doubled.shape == (2000, 2000) and doubled[1999, 1999] == 2 * 3_999_999
    assert list(totals.columns) == ["a", "b", "total"] and totals["total"].iloc[-1] == 100_000
    store = Path(flyte.io.host_root()) / "pickled"
    assert not store.exists() or list(store.iterdir()) == []  # inputs and outputs cleaned up after the call


def test_big_arrays_arrive_memory_mapped_and_writable(docker_only: None) -> None:
    """A big output array is mapped from the store, not copied (numpy.load's full read), and still writable."""
    import mmap

    import numpy
    import pandas

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")
    data_env = flyte.TaskEnvironment(name="io_mapped", image=image)

    @data_env.task
    def scaled(matrix: Any) -> tuple[Any, str]:
        import mmap as _mmap

        mapped = matrix
        while getattr(mapped, "base", None) is not None:  # the input is mapped inside the container too
            mapped = mapped.base
        matrix[0, 0] = -1.0  # an input is writable (copy-on-write: the stored file is unchanged)
        return matrix * 3, "mapped" if isinstance(mapped, _mmap.mmap) else type(mapped).__name__

    matrix = numpy.arange(1_000_000, dtype=numpy.float64).reshape(1000, 1000)  # 8 MB: by reference
    out, inside = scaled(matrix)
    assert inside == "mapped"
    assert type(out) is numpy.ndarray and out[0, 0] == -3.0 and out[999, 999] == 3 * 999_999
    base = out
    while getattr(base, "base", None) is not None:
        base = base.base
    assert isinstance(base, mmap.mmap), f"the output was copied, not mapped: {type(base)}"
    out[1, 1] = 7.0  # writable in the kernel too
    assert out[1, 1] == 7.0 and matrix[0, 0] == 0.0  # the caller's input is untouched
    store = Path(flyte.io.host_root()) / "pickled"
    assert not store.exists() or list(store.iterdir()) == []  # mapped files are unlinked all the same


def _mapped_file(array: Any) -> str:
    """The file this process maps at the array's data (/proc/self/maps), '' when none."""
    address = array.ctypes.data
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        low, high = (int(part, 16) for part in fields[0].split("-"))
        if low <= address < high:
            return fields[5] if len(fields) > 5 else ""
    return ""


def test_an_unmodified_input_array_comes_back_by_reference_and_a_written_one_as_a_copy(
        docker_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """An identity task returns its input's own file (no second write); a task that writes to its input
    returns the written data, and neither the kernel's array nor the stored input changes."""
    import numpy
    import pandas

    from flyte_nb import io

    written: list[str] = []
    original = io.write_array

    def recording(value: Any) -> tuple[str, bool]:
        key, new = original(value)
        written.append(key)
        return key, new

    monkeypatch.setattr(io, "write_array", recording)  # the kernel's side: which file each input went to
    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")
    data_env = flyte.TaskEnvironment(name="io_identity", image=image)

    @data_env.task
    def same(a: numpy.ndarray) -> numpy.ndarray:
        return a

    @data_env.task
    def touched(a: numpy.ndarray) -> tuple[numpy.ndarray, float]:
        import numpy as np

        a[0] = 5.0
        mapped = a
        while not isinstance(mapped, np.memmap):
            mapped = mapped.base
        return a, float(np.load(mapped.filename)[0])  # the stored input, read again after the write

    @data_env.task
    def restored(a: numpy.ndarray) -> numpy.ndarray:
        a[1] = 9.0
        a[1] = 1.0  # the same bytes again, but a page was written: sent as a copy
        return a

    @data_env.task
    def reshaped(a: numpy.ndarray) -> numpy.ndarray:
        a.shape = (1000, 1000)  # the same mapping seen as another array: not the input as it came
        return a

    array = numpy.arange(1_000_000, dtype=numpy.float64)  # 8 MB: by reference
    out = same(array)
    assert numpy.array_equal(out, array) and out.shape == array.shape
    assert written[-1] in _mapped_file(out), "the identity's output is not its input's file"
    out, stored = touched(array)
    assert out[0] == 5.0 and out[1] == 1.0 and stored == 0.0 and array[0] == 0.0
    assert written[-1] not in _mapped_file(out)
    out = restored(array)
    assert numpy.array_equal(out, array) and written[-1] not in _mapped_file(out)
    out = reshaped(array)
    assert out.shape == (1000, 1000) and out[999, 999] == 999_999.0 and array.shape == (1_000_000,)
    assert written[-1] not in _mapped_file(out)
    store = Path(flyte.io.host_root()) / "pickled"
    assert not store.exists() or list(store.iterdir()) == []  # inputs and outputs removed after each call


def test_a_warm_worker_sends_back_by_reference_only_the_calls_own_inputs(docker_only: None) -> None:
    """In a reusable worker every call runs in a thread of its own: an array kept from an earlier call (whose
    input file is gone) comes back as a copy, and the store is empty after the calls."""
    import numpy
    import pandas

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")
    env = flyte.TaskEnvironment(name="io_warm_identity", image=image,
                                reusable=flyte.ReusePolicy(replicas=1, idle_ttl=30))

    @env.task
    def kept(a: numpy.ndarray) -> numpy.ndarray:
        import builtins

        previous = getattr(builtins, "flyte_nb_test_kept", None)
        builtins.flyte_nb_test_kept = a  # lives on in the worker's process
        return a if previous is None else previous

    first, second = numpy.full(100_000, 1.0), numpy.full(100_000, 2.0)
    assert numpy.array_equal(kept(first), first)
    assert numpy.array_equal(kept(second), first)  # the first call's input, its file removed since: a copy
    store = Path(flyte.io.host_root()) / "pickled"
    assert not store.exists() or list(store.iterdir()) == []


def test_unmodified_input_names_only_this_calls_untouched_input_array(docker_only: None) -> None:
    """What decides the reuse, in one process: the very input array of this context, unwritten, same view."""
    import threading

    import numpy

    from flyte_nb import io

    wide = os.umask(0)  # a wide umask: an array file is still writable by its writer alone
    try:
        key, new = io.write_array(numpy.arange(100_000, dtype=numpy.float64))
    finally:
        os.umask(wide)
    assert new and (io.host_root() / key).stat().st_mode & 0o777 == 0o644
    try:
        mapped = io.load_input(key)
        assert io.unmodified_input(mapped) == key
        assert io.write_array(mapped) == (key, False)
        assert io.unmodified_input(mapped[:10]) is None and io.unmodified_input(mapped.copy()) is None
        elsewhere: list[Any] = []
        thread = threading.Thread(target=lambda: elsewhere.append(io.unmodified_input(mapped)))
        thread.start()
        thread.join()
        assert elsewhere == [None]  # another call's thread: not its input
        viewed = io.load_input(key)
        viewed.dtype = numpy.int64  # an in-place view change
        assert io.unmodified_input(viewed) is None
        written = io.load_input(key)
        written[99_999] = 1.0
        assert io.unmodified_input(written) is None and io.unmodified_input(mapped) == key
    finally:
        io.remove([key])
    assert not (io.host_root() / key).exists()
    assert io.unmodified_input(mapped) is None  # its file is gone: nothing to name


def test_reading_arrays_in_a_container_imports_no_asyncio_nor_shutil(docker_only: None) -> None:
    """A task that gets or returns arrays imports flyte_nb.io on its call's path (to map them): that import
    pulls in none of asyncio, shutil, concurrent.futures (93 ms of it in a container before); the File/Dir
    methods that need them still work (tests above)."""
    import json

    from flyte_nb.runners.docker import RUNTIME_DIR
    from flyte_nb.runtime import runtime

    script = ("import json, sys; import flyte_nb.shim as shim; shim._call_modules(); import flyte_nb.io; "
              "print(json.dumps([m for m in ('asyncio', 'shutil', 'concurrent.futures') if m in sys.modules]))")
    out = docker.from_env().containers.run(
        "flyte-nb/debian-base:bookworm-py3.11", ["python3", "-c", script], remove=True, network_mode="none",
        user="12345:12345", read_only=True, environment={"PYTHONPATH": RUNTIME_DIR},
        mounts=runtime().runner()._mounts)  # type: ignore[attr-defined]
    assert json.loads(out) == []


def test_removing_a_big_blob_frees_it_off_the_callers_path(docker_only: None) -> None:
    """remove() leaves no name in the store when it returns; a big file's descriptor, held across the
    unlink so its pages are freed in a thread, is closed soon after."""
    import os

    from flyte_nb import io

    store = io.prepare_host_root() / "pickled"
    big, small = store / "big.bin", store / "small.bin"
    big.write_bytes(b"\0" * io.FREE_LATER_BYTES)
    small.write_bytes(b"x")
    io.remove(["pickled/big.bin", "pickled/small.bin", "pickled/never-there.bin"])
    assert not big.exists() and not small.exists()
    io.wait_freed()
    held = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")]
    assert not any(str(big) in target for target in held)


def test_text_frames_need_no_pyarrow_in_the_image(docker_only: None) -> None:
    """pandas 3 keeps text in pyarrow arrays when the kernel has pyarrow: inputs still load in an image without it."""
    import numpy
    import pandas
    import pyarrow  # noqa: F401 - the kernel has it (test extras), so pandas' default text dtype is pyarrow-backed

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}")  # no pyarrow
    text_env = flyte.TaskEnvironment(name="io_text", image=image)

    @text_env.task
    def shout(frame: Any, names: Any) -> list[str]:
        return [f"{k}:{v.upper()}" for k, v in zip(frame.index, frame["s"].fillna("-"))] + list(names)

    frame = pandas.DataFrame({"s": ["x", None, "z"], "n": [1, 2, 3]}, index=pandas.Index(["p", "q", "r"]))
    assert frame.dtypes["s"].storage == "pyarrow"  # the case this test is about
    assert shout(frame, pandas.Series(["u", "v"])) == ["p:X", "q:-", "r:Z", "u", "v"]
    assert frame.dtypes["s"].storage == "pyarrow"  # the caller's frame is unchanged
