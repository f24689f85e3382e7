"""flyte.io (File, Dir, DataFrame) and typed task IO: names, signatures, async-ness, generics, data
round trips in tasks, the type checks the SDK does (TypedDict, Literal, unions, Optional) and the
coercion of dict inputs into pydantic models and dataclasses; cache override with a version."""

from __future__ import annotations

from tests.conformance.harness import Scenario

_METHODS = {
    "File": ["from_local", "from_local_sync", "from_existing_remote", "new_remote", "named_remote", "open",
             "open_sync", "exists", "exists_sync", "download", "download_sync"],
    "Dir": ["from_local", "from_local_sync", "from_existing_remote", "new_remote", "walk", "walk_sync",
            "list_files", "list_files_sync", "get_file", "get_file_sync", "download", "download_sync", "exists",
            "exists_sync"],
    "DataFrame": ["from_df", "from_local", "from_local_sync", "from_existing_remote", "open", "all", "all_sync",
                  "iter", "wrap_df"],
}
_SIGNATURES = [("File", "from_local"), ("File", "from_local_sync"), ("File", "new_remote"),
               ("File", "from_existing_remote"), ("File", "open"), ("File", "download"), ("Dir", "from_local"),
               ("Dir", "from_local_sync"), ("Dir", "from_existing_remote"), ("Dir", "new_remote"), ("Dir", "walk"),
               ("Dir", "walk_sync"), ("Dir", "get_file"), ("DataFrame", "from_df"), ("DataFrame", "open"),
               ("DataFrame", "from_existing_remote"), ("DataFrame", "from_local")]
_COROUTINES = [("File", "from_local_sync", False), ("File", "exists", True),
               ("File", "exists_sync", False), ("File", "download", True), ("Dir", "from_local", True),
               ("Dir", "list_files", True), ("Dir", "list_files_sync", False), ("Dir", "get_file", True),
               ("DataFrame", "all", True), ("DataFrame", "all_sync", False), ("DataFrame", "from_local", True)]

_SETUP = """
import asyncio, inspect, os, tempfile
import flyte.io
from flyte.io import File, Dir, DataFrame
env = flyte.TaskEnvironment(name='io_conf')
work = tempfile.mkdtemp()
def local_file(name='in.txt', data=b'hello'):
    path = os.path.join(work, name)
    with open(path, 'wb') as handle:
        handle.write(data)
    return path
def local_dir():
    base = os.path.join(work, 'tree')
    os.makedirs(os.path.join(base, 'sub'), exist_ok=True)
    for rel, text in (('a.txt', 'a'), ('b.txt', 'bb'), ('sub/c.txt', 'ccc')):
        with open(os.path.join(base, rel), 'w') as handle:
            handle.write(text)
    return base
flyte.init()
"""


def _s(id_: str, code: str, runner: str = "inprocess") -> Scenario:
    return Scenario(f"io.{id_}", _SETUP + code, runner=runner)


SCENARIOS = [
    _s("names", "result = [n for n in ['File', 'Dir', 'DataFrame', 'PARQUET', 'EmptyDir', 'HashFunction'] "
                "if not hasattr(flyte.io, n)]"),
    _s("parquet_constant", "result = flyte.io.PARQUET"),
    *[_s(f"{cls.lower()}_has_{name}", f"result = callable(getattr({cls}, {name!r}, None))")
      for cls, names in _METHODS.items() for name in names],
    *[_s(f"{cls.lower()}_{name}_parameters", f"result = list(inspect.signature({cls}.{name}).parameters)")
      for cls, name in _SIGNATURES],
    *[_s(f"{cls.lower()}_{name}_is_coroutine", f"result = inspect.iscoroutinefunction({cls}.{name}) == {flag}")
      for cls, name, flag in _COROUTINES],
    _s("dir_walk_is_async_generator", "result = inspect.isasyncgenfunction(Dir.walk)"),
    _s("file_open_mode_default", "result = inspect.signature(File.open).parameters['mode'].default"),
    _s("dir_walk_recursive_default", "result = inspect.signature(Dir.walk).parameters['recursive'].default"),
    _s("dir_walk_sync_pattern_default", "result = inspect.signature(Dir.walk_sync).parameters['file_pattern'].default"),
    _s("file_generic", "result = File[str] is not None and Dir[str] is not None"),
    _s("file_generic_in_hint", """
@env.task
def size(f: File[str]) -> int:
    with f.open_sync('rb') as handle:
        return len(handle.read())
result = flyte.run(size, File[str].from_local_sync(local_file())).outputs()[0]
"""),
    _s("file_from_local_name", "result = File.from_local_sync(local_file('named.txt')).name"),
    _s("file_from_local_exists", "result = File.from_local_sync(local_file()).exists_sync()"),
    _s("file_from_local_async", "result = asyncio.run(File.from_local(local_file())).name"),
    _s("file_from_local_missing", "result = File.from_local_sync(os.path.join(work, 'missing.txt')).name"),
    _s("file_type_name", "result = type(File.from_local_sync(local_file())).__name__"),
    _s("file_open_sync_read_in_task", """
@env.task
def read(f: File) -> str:
    with f.open_sync('rb') as handle:
        return handle.read().decode()
result = flyte.run(read, File.from_local_sync(local_file())).outputs()[0]
"""),
    _s("file_sync_read_in_task", """
@env.task
def read(f: File) -> str:
    with f.open('rb') as handle:
        return handle.read().decode()
result = flyte.run(read, File.from_local_sync(local_file())).outputs()[0]
"""),
    _s("file_async_read_in_task", """
@env.task
async def read(f: File) -> str:
    async with f.open('rb') as handle:
        return (await handle.read()).decode()
result = flyte.run(read, File.from_local_sync(local_file())).outputs()[0]
"""),
    _s("file_async_handle_api", """
NAMES = ['close', 'closed', 'detach', 'fileno', 'flush', 'isatty', 'mode', 'name', 'peek', 'raw', 'read', 'read1',
         'readable', 'readinto', 'readline', 'readlines', 'seek', 'seekable', 'tell', 'truncate', 'writable',
         'write', 'writelines']
@env.task
async def api(f: File) -> list:
    async with f.open('rb') as handle:
        return [n for n in NAMES if not hasattr(handle, n)]
result = flyte.run(api, File.from_local_sync(local_file())).outputs()[0]
"""),
    _s("file_async_readline_readlines", """
@env.task
async def lines(f: File) -> list:
    async with f.open() as handle:
        first = await handle.readline()
        rest = await handle.readlines()
        return [repr(first), repr(rest), repr(await handle.read()), await handle.tell(), await handle.seekable(),
                handle.closed]
result = flyte.run(lines, File.from_local_sync(local_file(data=b'a\\nbb\\nccc\\n'))).outputs()[0]
"""),
    _s("file_async_writelines", """
@env.task
async def write() -> File:
    out = File.new_remote()
    async with out.open('wb') as handle:
        await handle.writelines([b'x\\n', b'y\\n'])
        await handle.flush()
        writable = await handle.writable()
    return out
made = flyte.run(write).outputs()[0]
with made.open_sync('rb') as handle:
    result = handle.read().decode()
"""),
    _s("file_new_remote_write_then_read", """
@env.task
async def write() -> File:
    out = File.new_remote()
    async with out.open('wb') as handle:
        await handle.write(b'written')
    return out
made = flyte.run(write).outputs()[0]
with made.open_sync('rb') as handle:
    result = handle.read().decode()
"""),
    _s("file_sync_write_in_task", """
@env.task
def write() -> File:
    out = File.new_remote()
    with out.open_sync('wb') as handle:
        handle.write(b'sync')
    return out
made = flyte.run(write).outputs()[0]
result = asyncio.run(made.exists())
"""),
    _s("file_download_sync_reads_back", """
f = File.from_local_sync(local_file(data=b'payload'))
target = f.download_sync(os.path.join(work, 'copy.bin'))
with open(target, 'rb') as handle:
    result = handle.read().decode()
"""),
    _s("file_output_type", """
@env.task
def echo(f: File) -> File:
    return f
result = type(flyte.run(echo, File.from_local_sync(local_file())).outputs()[0]).__name__
"""),
    _s("dir_from_local_files", "result = sorted(f.name for f in Dir.from_local_sync(local_dir()).list_files_sync())"),
    _s("dir_walk_sync_recursive", "result = sorted(f.name for f in Dir.from_local_sync(local_dir()).walk_sync())"),
    _s("dir_walk_sync_flat", "result = sorted(f.name for f in Dir.from_local_sync(local_dir()).walk_sync(recursive=False))"),
    _s("dir_walk_async_in_task", """
@env.task
async def names(d: Dir, recursive: bool) -> list:
    return sorted([f.name async for f in d.walk(recursive=recursive)])
d = Dir.from_local_sync(local_dir())
result = [flyte.run(names, d, True).outputs()[0], flyte.run(names, d, False).outputs()[0]]
"""),
    _s("dir_get_file_found", "result = Dir.from_local_sync(local_dir()).get_file_sync('a.txt').name"),
    _s("dir_get_file_missing", "result = Dir.from_local_sync(local_dir()).get_file_sync('zzz.txt')"),
    _s("dir_exists", "result = Dir.from_local_sync(local_dir()).exists_sync()"),
    _s("dir_list_files_async", "result = len(asyncio.run(Dir.from_local_sync(local_dir()).list_files()))"),
    _s("dir_type_name", "result = type(Dir.from_local_sync(local_dir())).__name__"),
    _s("dir_from_local_not_a_dir", "result = Dir.from_local_sync(local_file()).name"),
    _s("hash_function_from_fn", """
import hashlib
h = flyte.io.HashFunction.from_fn(lambda data: hashlib.md5(data).hexdigest())
h.update(b'hello')
result = [type(h).__name__, h.result(), isinstance(flyte.io.HashFunction(len), flyte.io.HashFunction)]
"""),
    _s("hash_function_in_from_local", """
import hashlib
h = flyte.io.HashFunction.from_fn(lambda data: hashlib.sha1(data).hexdigest())
result = File.from_local_sync(local_file('h.txt', data=b'abc'), hash_method=h).name
"""),
    _s("empty_dir", """
e = flyte.io.EmptyDir()
result = [isinstance(e, Dir), e.is_empty, e.path, Dir.empty().is_empty, type(Dir.empty()).__name__]
"""),
    _s("real_dir_is_not_empty_sentinel", """
os.makedirs(os.path.join(work, 'nothing'), exist_ok=True)
result = [Dir.from_local_sync(local_dir()).is_empty, Dir.from_local_sync(os.path.join(work, 'nothing')).is_empty]
"""),
    _s("empty_dir_output_round_trips", """
@env.task
def maybe() -> Dir:
    return flyte.io.EmptyDir()
out = flyte.run(maybe).outputs()[0]
result = [isinstance(out, Dir), out.is_empty]
"""),
    _s("dataframe_from_df_none", "result = type(DataFrame.from_df()).__name__"),
    _s("dataframe_is_a_class", "result = isinstance(DataFrame, type)"),
    _s("typeddict_output", """
from typing import TypedDict
class Point(TypedDict):
    x: int
    y: int
@env.task
def point() -> Point:
    return {'x': 1, 'y': 2}
result = flyte.run(point).outputs()[0]
""", runner="docker"),
    _s("literal_str_accepted", """
from typing import Literal
@env.task
def pick(x: Literal['a', 'b']) -> str:
    return x
result = flyte.run(pick, 'a').outputs()[0]
""", runner="docker"),
    _s("literal_str_refused", """
from typing import Literal
@env.task
def pick(x: Literal['a', 'b']) -> str:
    return x
result = flyte.run(pick, 'c').outputs()[0]
""", runner="docker"),
    _s("literal_int_not_checked", """
from typing import Literal
@env.task
def pick(x: Literal[1, 2]) -> int:
    return x
result = flyte.run(pick, 3).outputs()[0]
""", runner="docker"),
    _s("optional_literal_not_checked", """
from typing import Literal, Optional
@env.task
def pick(x: Optional[Literal['a', 'b']] = None) -> str:
    return str(x)
result = [flyte.run(pick).outputs()[0], flyte.run(pick, 'z').outputs()[0]]
""", runner="docker"),
    _s("str_for_int_refused", """
@env.task
def inc(x: int) -> int:
    return x + 1
result = flyte.run(inc, '3').outputs()[0]
""", runner="docker"),
    _s("optional_none", """
from typing import Optional
@env.task
def maybe(x: Optional[int] = None) -> str:
    return repr(x)
result = [flyte.run(maybe).outputs()[0], flyte.run(maybe, 4).outputs()[0]]
"""),
    _s("union_input", """
from typing import Union
@env.task
def either(x: Union[int, str]) -> str:
    return type(x).__name__
result = [flyte.run(either, 1).outputs()[0], flyte.run(either, 'a').outputs()[0]]
"""),
    _s("dict_to_pydantic_model", """
import pydantic
class Config(pydantic.BaseModel):
    rate: float
    name: str = 'x'
@env.task
def show(c: Config) -> str:
    return f'{type(c).__name__}:{c.rate}:{c.name}'
result = flyte.run(show, c={'rate': 0.5}).outputs()[0]
"""),
    _s("dict_to_dataclass", """
import dataclasses
@dataclasses.dataclass
class Shape:
    width: int
    height: int
@env.task
def area(s: Shape) -> int:
    return s.width * s.height
result = flyte.run(area, s={'width': 2, 'height': 3}).outputs()[0]
"""),
    _s("model_input_unchanged", """
import pydantic
class Config(pydantic.BaseModel):
    rate: float
@env.task
def show(c: Config) -> float:
    return c.rate
result = flyte.run(show, Config(rate=2.0)).outputs()[0]
"""),
    _s("model_output", """
import pydantic
class Config(pydantic.BaseModel):
    rate: float
@env.task
def make() -> Config:
    return Config(rate=1.5)
out = flyte.run(make).outputs()[0]
result = [type(out).__name__, out.rate]
"""),
    _s("cache_override_version_runs_every_time", """
calls = []
@env.task(cache=flyte.Cache(behavior='override', version_override='v1'))
def once(x: int) -> int:
    calls.append(x)
    return x
flyte.run(once, 1)
flyte.run(once, 1)
result = len(calls)
"""),
    _s("cache_auto_version_hits", """
calls = []
@env.task(cache=flyte.Cache(behavior='auto', version_override='v1'))
def once(x: int) -> int:
    calls.append(x)
    return x
flyte.run(once, 1)
flyte.run(once, 1)
result = len(calls)
"""),
    _s("cache_override_writes_for_auto", """
calls = []
@env.task(cache=flyte.Cache(behavior='override', version_override='v7'))
def once(x: int) -> int:
    calls.append(x)
    return x
flyte.run(once, 5)
flyte.run(once.override(cache=flyte.Cache(behavior='auto', version_override='v7')), 5)
result = len(calls)
"""),
]
