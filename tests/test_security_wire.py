"""The wire is a boundary (issue 16): nothing a container writes runs in the kernel, frames are authenticated
before they are decoded, nested calls run only registered tasks with the kernel's settings. Real Docker."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import os
import warnings
from pathlib import Path
from typing import Any, Iterator

import docker
import pydantic
import pytest

import flyte_nb as flyte
from flyte_nb import secrets as secret_store
from flyte_nb.codec import CodecError, PickleRefusedError
from flyte_nb.runners.docker import KERNEL_ID, LABEL

pytestmark = pytest.mark.docker

env = flyte.TaskEnvironment(name="wire_env")
other_env = flyte.TaskEnvironment(name="wire_other")
#: Where a payload that ran in the kernel would leave its mark (set per test).
MARKER = Path("/nonexistent")


class Evil:
    """Unpickling this runs a shell command: in the kernel that would be a takeover."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: float
    color: Color
    tags: tuple[str, ...]


class Model(pydantic.BaseModel):
    name: str
    points: list[int]
    when: dt.datetime


Nested = dict[str, list[tuple[Point, Model | None]]]


@pytest.fixture(autouse=True)
def docker_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    marker = tmp_path / "pwned"
    yield marker
    flyte.init(runner="docker", quiet=True)  # pickle_outputs back to its default
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


# ---- results ------------------------------------------------------------------------------------
@env.task
def evil_declared(marker: str) -> dict:
    return Evil(marker)  # type: ignore[return-value]


@env.task
def evil_untyped(marker: str):  # type: ignore[no-untyped-def]
    return Evil(marker)


def test_a_result_whose_reduce_runs_a_command_is_refused_not_run(docker_runner: Path) -> None:
    with pytest.raises(CodecError, match=r"arrived pickled .*Evil.* declares dict.*not unpickled"):
        evil_declared(str(docker_runner))
    assert not docker_runner.exists()


def test_pickle_outputs_false_refuses_a_custom_class_with_a_clear_message(docker_runner: Path) -> None:
    flyte.init(runner="docker", quiet=True, pickle_outputs=False)
    with pytest.raises(PickleRefusedError, match=r"'tests.test_security_wire.Evil'.*pickle_outputs=False"):
        evil_untyped(str(docker_runner))
    assert not docker_runner.exists()


def test_pickle_outputs_must_be_a_bool() -> None:
    with pytest.raises(ValueError, match=r"pickle_outputs='no'"):
        flyte.init(runner="docker", pickle_outputs="no")  # type: ignore[arg-type]


@env.task
def round_trip(value: Nested, when: dt.timedelta, raw: bytes, numbers: set[int]) -> tuple[Nested, dt.timedelta,
                                                                                          bytes, frozenset[int]]:
    if not (isinstance(value["a"][0][0], Point) and isinstance(value["a"][0][1], Model)):  # built in the container
        raise TypeError("inputs arrived as other types")
    return value, when * 2, raw[::-1], frozenset(numbers)


def test_dataclass_enum_model_and_nested_containers_round_trip_with_pickles_refused() -> None:
    flyte.init(runner="docker", quiet=True, pickle_outputs=False)
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    value: Nested = {"a": [(Point(1, 2.5, Color.BLUE, ("x", "y")), Model(name="m", points=[1, 2], when=when))],
                     "b": [(Point(-1, float("inf"), Color.RED, ()), None)]}
    out, twice, raw, numbers = round_trip(value, dt.timedelta(seconds=1.5), b"\x00\xffab", {3, 1})
    assert out == value and type(out["a"][0][0].color) is Color and out["a"][0][1].when == when
    assert (twice, raw, numbers) == (dt.timedelta(seconds=3), b"ba\xff\x00", frozenset({1, 3}))


def test_numpy_and_pandas_round_trip_without_pickle() -> None:
    import numpy
    import pandas

    import pyarrow

    # with pyarrow in the kernel, pandas 3 keeps text columns in pyarrow arrays: the image needs it to load inputs
    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}", f"pyarrow=={pyarrow.__version__}")
    data_env = flyte.TaskEnvironment(name="wire_data", image=image)

    @data_env.task
    def scale(small: numpy.ndarray, big: numpy.ndarray, frame: pandas.DataFrame) -> tuple[
            numpy.ndarray, numpy.ndarray, pandas.DataFrame, numpy.float64]:
        return small * 2, big + 1, frame.assign(n=frame["a"] * 10), numpy.float64(small.sum())

    flyte.init(runner="docker", quiet=True, pickle_outputs=False)
    frame = pandas.DataFrame({"a": [1, 2, 3], "s": ["x", None, "z"],
                              "t": pandas.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"])})
    small, big, out, total = scale(numpy.arange(6).reshape(2, 3), numpy.zeros(100_000), frame)
    assert small.tolist() == [[0, 2, 4], [6, 8, 10]] and big.shape == (100_000,) and big[-1] == 1.0
    assert out.equals(frame.assign(n=frame["a"] * 10)) and total == 15.0
    store = Path(flyte.io.host_root()) / "pickled"
    assert not store.exists() or list(store.iterdir()) == []  # the big array went by reference, then was removed


class Stored(pydantic.BaseModel):
    """A model holding blob-store references, as the SDK's examples declare them (File is not pydantic here)."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    numbers: list[float]
    file: flyte.io.File
    folder: flyte.io.Dir | None = None
    named: dict[str, flyte.io.File] = {}


@dataclasses.dataclass
class Holder:
    model: Stored
    files: list[flyte.io.File]


@env.task
def nested_refs(text: str) -> tuple[Stored, Holder]:
    path = os.path.abspath("out.txt")
    with open(path, "w") as handle:
        handle.write(text)
    file = flyte.io.File.from_local_sync(path)
    os.makedirs("tree", exist_ok=True)
    folder = flyte.io.Dir.from_local_sync("tree")
    model = Stored(numbers=[1.5], file=file, folder=folder, named={"a": file})
    return model, Holder(model=model, files=[file, file])


@env.task
def read_nested(holder: Holder) -> str:
    with holder.model.named["a"].open_sync("rb") as handle:
        return handle.read().decode() + str(len(holder.files))


def test_files_and_dirs_nested_in_models_dataclasses_lists_and_dicts_travel_without_pickles() -> None:
    """Outputs and inputs holding File/Dir inside a pydantic model (arbitrary types), a dataclass, a list, a dict."""
    flyte.init(runner="docker", quiet=True, pickle_outputs=False)
    model, holder = nested_refs("payload")
    assert type(model) is Stored and type(model.file) is flyte.io.File and type(model.folder) is flyte.io.Dir
    assert model.named["a"] == model.file and holder.files == [model.file, model.file] and holder.model == model
    with model.file.open_sync("rb") as handle:
        assert handle.read() == b"payload"
    assert read_nested(holder) == "payload2"


def test_a_model_tree_decodes_by_the_kernels_hint_only() -> None:
    """A forged model tree: a class name the hint does not declare, or a File key outside the store, is refused."""
    from flyte_nb.codec import decode, encode
    from flyte_nb.io import BlobKeyError

    tree, _, _ = encode(Stored(numbers=[1.0], file=flyte.io.File("sha256/ab", "x.txt")), Stored, owned=False)
    assert decode(tree, Stored, pickles=False).file == flyte.io.File("sha256/ab", "x.txt")
    with pytest.raises(CodecError, match=r"class 'Stored' arrived where the task declares Model"):
        decode(tree, Model, pickles=False)
    forged = {**tree, "v": {**tree["v"], "file": {"$": "File", "key": "../../etc/passwd", "name": "p"}}}
    with pytest.raises(BlobKeyError, match=r"blob key '../../etc/passwd'"):
        decode(forged, Stored, pickles=False)


# ---- frames ---------------------------------------------------------------------------------------
@env.task
def forge(marker: str) -> dict:
    """From inside the container: send the controller a pickle that would run a command, with a forged MAC
    and then with the right MAC (JSON refuses it), and a frame above the cap; report what came back."""
    import pickle
    import socket

    from flyte_nb import protocol

    body = pickle.dumps(Evil(marker))
    frames = {
        "forged": protocol.HEADER.pack(len(body)) + b"\0" * protocol.MAC_SIZE + body,
        "signed": protocol.HEADER.pack(len(body)) + protocol._mac(os.environ["FLYTE_NB_TOKEN"], body) + body,
        "huge": protocol.HEADER.pack(protocol.MAX_FRAME + 1) + b"\0" * protocol.MAC_SIZE,
    }
    replies = {}
    for name, frame in frames.items():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(os.environ["FLYTE_NB_CONTROLLER"])
            sock.sendall(frame)
            replies[name] = sock.recv(100)
    return {name: len(reply) for name, reply in replies.items()}


def test_forged_and_pickled_frames_are_dropped_undecoded(docker_runner: Path) -> None:
    assert forge(str(docker_runner)) == {"forged": 0, "signed": 0, "huge": 0}  # dropped, no reply
    assert not docker_runner.exists()


def test_the_hmac_is_checked_before_any_decoding() -> None:
    import pickle

    from flyte_nb import protocol

    body = pickle.dumps(Evil("/tmp/never"))
    head, mac = protocol.HEADER.pack(len(body)), b"\1" * protocol.MAC_SIZE
    with pytest.raises(protocol.FrameError, match="not authenticated"):
        protocol.loads(head, mac, lambda size: body, "token")
    frame = protocol.dumps({"op": "hello"}, "token")
    size = protocol.HEADER.size
    assert protocol.loads(frame[:size], frame[size:size + 32], lambda n: frame[size + 32:], "token") == {"op": "hello"}
    with pytest.raises(protocol.FrameError):
        protocol.loads(frame[:size], frame[size:size + 32], lambda n: frame[size + 32:], "other-token")


# ---- secrets and nested calls ---------------------------------------------------------------------
@env.task
async def steal_by_own_task() -> str:
    sneaky = flyte.TaskEnvironment(name="sneaky", secrets=["other"])

    @sneaky.task
    async def leak() -> str:
        return os.environ.get("OTHER", "")

    return await leak()


@env.task
async def plain() -> str:
    return os.environ.get("OTHER", "")


@env.task
async def steal_by_override() -> str:
    return await plain.override(secrets=["other"])()


@env.task
def hello_again() -> list:
    from flyte_nb import protocol

    reply = protocol.request(os.environ["FLYTE_NB_CONTROLLER"], {"op": "hello"}, os.environ["FLYTE_NB_TOKEN"])
    return sorted(secret["key"] for secret, _ in reply["secrets"])


def test_a_task_cannot_grant_itself_a_secret_through_a_nested_call() -> None:
    secret_store.set("other", "TOP-SECRET-VALUE")
    with pytest.raises(flyte.errors.RuntimeUserError, match=r"'sneaky.leak': no task of that name is registered") as info:
        flyte.run(steal_by_own_task)  # the parent's LookupError, raised to flyte.run as the SDK does
    assert "TOP-SECRET" not in str(info.value) and isinstance(info.value.__cause__, LookupError)
    with pytest.raises(LookupError, match=r"cannot override secrets"):
        asyncio.run(steal_by_override())  # a direct call: the task's own exception
    mine = env.clone_with(name="wire_mine", secrets=["mine"])
    secret_store.set("mine", "mine-value")
    assert mine.task(hello_again.func)() == ["mine"]  # the hello gives this call's secrets only
    assert hello_again() == []


@other_env.task
async def child(point: Point, scale: int = 2) -> Point:
    return dataclasses.replace(point, x=point.x * scale)


@env.task
async def parent(point: Point) -> tuple[Point, Point]:
    return await child(point), await child.override(retries=1)(point, scale=3)


def test_nested_calls_run_registered_tasks_of_other_environments_with_safe_codecs() -> None:
    flyte.init(runner="docker", quiet=True, pickle_outputs=False)
    point = Point(2, 0.5, Color.RED, ("t",))
    assert flyte.run(parent, point).outputs() == (Point(4, 0.5, Color.RED, ("t",)), Point(6, 0.5, Color.RED, ("t",)))
    runs = flyte.registry().runs[-3:]
    assert [r.task for r in runs] == ["wire_env.parent", "wire_other.child", "wire_other.child"]
    assert runs[2].settings["retries"]["value"] == {"count": 1} or "1" in str(runs[2].settings["retries"])


def test_the_kernel_refuses_another_code_version_and_pod_settings_from_a_container() -> None:
    from flyte_nb.nested import NestedCallError, code_version, resolve_request

    @other_env.task
    async def callee(point: Point, scale: int = 2) -> Point:
        return point

    request = {"task": callee.name, "version": code_version(callee.func), "overrides": {}, "arguments": {
        "point": {"$": "dataclass", "t": "Point", "v": {"x": 1, "y": 1.0, "color": {"$": "enum", "t": "Color",
                                                                                    "v": "red"}, "tags": []}}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tags array decoded as the tuple it is declared: no serializer warning
        task, bound = resolve_request(request, pickles=False)
    assert task is callee and bound.arguments["point"] == Point(1, 1.0, Color.RED, ())  # the tags list as its tuple
    with pytest.raises(NestedCallError, match=r"code version 'f00' but the kernel's task is at"):
        resolve_request({**request, "version": "f00"}, pickles=False)
    with pytest.raises(NestedCallError, match=r"cannot override pod_template"):
        resolve_request({**request, "overrides": {"pod_template": "x"}}, pickles=False)
    with pytest.raises(CodecError, match=r"arrived pickled .* declares Point"):
        resolve_request({**request, "arguments": {"point": {"$": "pickle", "type": "x", "v": ""}}}, pickles=True)


def test_an_io_dataframe_travels_by_key_and_a_pickled_one_is_refused_without_pickles() -> None:
    import pandas

    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages(
        f"numpy=={__import__('numpy').__version__}", f"pandas=={pandas.__version__}")  # as tests/test_io.py
    frames_env = flyte.TaskEnvironment(name="wire_frames", image=image)

    @frames_env.task
    def table(n: int) -> flyte.io.DataFrame:
        return flyte.io.DataFrame.from_df(pandas.DataFrame({"a": list(range(n))}))

    out = table(3)
    assert type(out) is flyte.io.DataFrame and out.uri and out.open(pandas.DataFrame).all_sync()["a"].tolist() == [0, 1, 2]
    flyte.init(runner="docker", quiet=True, pickle_outputs=False)  # no pyarrow in that image: stored pickled
    with pytest.raises(PickleRefusedError, match=r"flyte.io.DataFrame stored as 'pickle'.*pyarrow"):
        table(3)


def test_a_json_array_declared_as_a_tuple_decodes_as_that_tuple() -> None:
    from flyte_nb.codec import decode

    assert decode(["a", "b"], tuple[str, ...], pickles=False) == ("a", "b")
    assert decode([1, "x"], tuple[int, str], pickles=False) == (1, "x")
    assert decode([1, 2], tuple, pickles=False) == (1, 2)
    assert decode([1, 2], list[int], pickles=False) == [1, 2]  # a list stays a list
