"""Issue 12, data and types, in real containers: File/Dir as the SDK has them (sync and async handles,
walk(recursive=), from_existing_remote, File(path=), hash_method), flyte.io.DataFrame (pandas and
pyarrow) through the blob store, TypedDict and Literal hints as the SDK checks them, dict inputs
converted to pydantic models and dataclasses, and a sibling module used as `h.child()`."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import sys
import textwrap
from pathlib import Path
from typing import Iterator, Literal, TypedDict

import docker
import pydantic
import pytest

import flyte_nb as flyte
from flyte_nb.io import DataFrame, Dir, File
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.shim import _missing_hint

pytestmark = pytest.mark.docker


@pytest.fixture
def docker_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


env = flyte.TaskEnvironment(name="sdk_io")


@env.task
async def shout_async(text: File[str]) -> File[str]:
    out = File.new_remote("loud.txt")
    async with text.open("rb") as src:
        data = await src.read()
    async with out.open("wb") as dst:
        await dst.write(data.upper())
    return out


@env.task
def shout_sync(text: File) -> File:
    out = File.new_remote("loud.txt")
    with text.open("rb") as src, out.open("wb") as dst:
        dst.write(src.read().upper())
    return out


def test_file_async_handle_is_awaited_and_sync_handle_is_plain(docker_runner: None, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"hello")
    given = File.from_local_sync(source)
    for task in (shout_async, shout_sync):
        result = flyte.run(task, given).outputs()[0]
        with result.open("rb") as handle:
            assert handle.read() == b"HELLO", task.name


@env.task
async def names(folder: Dir, recursive: bool) -> list[str]:
    return [file.name async for file in folder.walk(recursive=recursive)]


@env.task
def reopen(path: str) -> str:
    """A stored folder named by its path in the container (Dir.from_existing_remote, File(path=))."""
    folder = Dir.from_existing_remote(path)
    top = folder.get_file_sync("top.txt")
    if top is None:  # no assert in a task body: pytest rewrites it into a call of its own module
        raise FileNotFoundError("top.txt")
    with File(path=top.path).open("r") as handle:
        return handle.read() + f":{len(list(folder.walk_sync(recursive=False)))}"


def test_dir_walk_recursive_and_from_existing_remote(docker_runner: None, tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "top.txt").write_text("top")
    (tmp_path / "d" / "sub" / "deep.txt").write_text("deep")
    folder = Dir.from_local_sync(tmp_path / "d")
    assert flyte.run(names, folder, True).outputs() == (["deep.txt", "top.txt"],)
    assert flyte.run(names, folder, False).outputs() == (["top.txt"],)
    assert flyte.run(reopen, f"/flyte/blobs/{folder.key}").outputs() == ("top:1",)


def test_from_local_hash_method_is_the_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "in.txt"
    source.write_bytes(b"abc")
    hashed = File.from_local_sync(source, hash_method="my-version-1")
    assert hashed.hash == "my-version-1" and hashed.cache_digest() == "my-version-1"
    plain = File.from_local_sync(source)
    assert plain.hash is None and plain.cache_digest() != "my-version-1"


def _frame_image(*extra: str) -> flyte.Image:
    import numpy
    import pandas

    return flyte.Image.from_debian_base(name="sdk-io-frames").with_pip_packages(
        f"numpy=={numpy.__version__}", f"pandas=={pandas.__version__}", *extra)


def test_dataframe_pandas_round_trip_through_the_store(docker_runner: None) -> None:
    import pandas

    import pyarrow

    # the kernel (pyarrow installed) stores the input as parquet, as the SDK always does: the image reads it
    frames = flyte.TaskEnvironment(name="sdk_io_pandas", image=_frame_image(f"pyarrow=={pyarrow.__version__}"))

    @frames.task
    async def double(df: DataFrame) -> DataFrame:
        table = await df.open(pandas.DataFrame).all()
        return DataFrame.from_df(table.assign(b=table["a"] * 2))

    given = DataFrame.from_df(pandas.DataFrame({"a": [1, 2, 3]}))
    result = flyte.run(double, given).outputs()[0]
    assert isinstance(result, DataFrame) and result.uri is not None  # a reference into the store
    assert result.open(pandas.DataFrame).all_sync()["b"].tolist() == [2, 4, 6]


def test_dataframe_pyarrow_table_read_as_pandas(docker_runner: None) -> None:
    """pyarrow lives in the image only: the kernel passes the stored table by key, unread."""
    arrow = flyte.TaskEnvironment(name="sdk_io_arrow", image=_frame_image("pyarrow==26.0.1"))

    @arrow.task
    def make(n: int) -> DataFrame:
        import pyarrow

        return DataFrame.from_df(pyarrow.table({"x": list(range(n))}))

    @arrow.task
    async def total(df: DataFrame) -> tuple[str, int]:
        import pandas

        table = await df.open(pandas.DataFrame).all()
        return df.format, int(table["x"].sum())

    made = flyte.run(make, 5).outputs()[0]
    assert made.format == "parquet" and made.uri and made.uri.endswith(".parquet")
    assert flyte.run(total, made).outputs() == ("parquet", 10)


class Point(TypedDict):
    x: int
    y: int


@env.task
def point(x: int, y: object) -> Point:
    return {"x": x, "y": y}  # type: ignore[typeddict-item]


def test_typeddict_output_is_checked_not_crashed(docker_runner: None) -> None:
    assert flyte.run(point, 1, 2).outputs() == ({"x": 1, "y": 2},)
    with pytest.raises(TypeError, match=r"output .* Point .*key 'y'"):
        flyte.run(point, 1, "two")


@env.task
def pick(word: Literal["a", "b"], number: Literal[1, 2]) -> str:
    return f"{word}{number}"


def test_literal_checked_as_the_sdk_does(docker_runner: None) -> None:
    """The SDK checks a Literal of strings (an enum) and carries any other Literal unchecked."""
    assert flyte.run(pick, "a", 3).outputs() == ("a3",)
    with pytest.raises(TypeError, match=r"input word='c'"):
        flyte.run(pick, "c", 1)


class Config(pydantic.BaseModel):
    rate: float
    name: str = "x"


@dataclasses.dataclass
class Shape:
    width: int
    height: int


@env.task
def describe(config: Config, shape: Shape) -> str:
    return f"{type(config).__name__}:{config.rate}:{config.name} {type(shape).__name__}:{shape.width * shape.height}"


def test_dict_inputs_become_models_and_dataclasses(docker_runner: None) -> None:
    described = flyte.run(describe, config={"rate": 0.5}, shape={"width": 2, "height": 3})
    assert described.outputs() == ("Config:0.5:x Shape:6",)
    with pytest.raises(TypeError, match=r"input config="):
        flyte.run(describe, config={"rate": "fast"}, shape={"width": 2, "height": 3})


def test_sibling_module_used_as_module_attribute_ships(docker_runner: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`import helpers as h; h.child()`: helpers (and what it imports of the user's) travel by value."""
    (tmp_path / "sdkio_units.py").write_text("FACTOR = 10\n")
    (tmp_path / "sdkio_helpers.py").write_text(textwrap.dedent("""
        import sdkio_units as units

        def child(x):
            return x * units.FACTOR
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    h = importlib.import_module("sdkio_helpers")
    try:
        siblings = flyte.TaskEnvironment(name="sdk_io_siblings")

        @siblings.task
        def parent(x: int) -> int:
            return h.child(x) + 1

        assert flyte.run(parent, 4).outputs() == (41,)
    finally:
        for name in ("sdkio_helpers", "sdkio_units"):
            sys.modules.pop(name, None)


def test_missing_module_hint_names_the_module_and_both_fixes() -> None:
    hint = _missing_hint(ModuleNotFoundError("No module named 'helpers'", name="helpers"))
    assert "'helpers'" in hint and "with_pip_packages('helpers')" in hint and "your own module" in hint


@dataclasses.dataclass
class Corner:
    x: float
    y: float


@env.task
def lowest(points: list[Corner]) -> Corner:
    return Corner(min(p.x for p in points), min(p.y for p in points))


def test_dataclass_fields_arrive_as_declared(docker_runner: None) -> None:
    """The SDK rebuilds dataclasses from their fields: ints given for float fields come back floats."""
    low = flyte.run(lowest, [Corner(1, 5), Corner(-2, 3)]).outputs()[0]  # type: ignore[arg-type]
    assert (low, type(low.x), type(low.y)) == (Corner(-2.0, 3.0), float, float)


@env.task
def shifted(when: datetime.datetime) -> str:
    return (when + datetime.timedelta(hours=1)).isoformat()


@env.task
def noon() -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, 12, 0)


def test_datetimes_travel_in_utc(docker_runner: None) -> None:
    """As the SDK's timestamps: a naive datetime is taken as UTC, an aware one converted to UTC."""
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert flyte.run(shifted, datetime.datetime(2026, 1, 1, 12, 0)).outputs() == ("2026-01-01T13:00:00+00:00",)
    aware = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=paris)
    assert flyte.run(shifted, aware).outputs() == ("2026-01-01T12:00:00+00:00",)
    assert flyte.run(noon).outputs()[0].isoformat() == "2026-01-01T12:00:00+00:00"
