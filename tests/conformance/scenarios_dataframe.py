"""flyte.io.DataFrame against flyte 2.12.1 (pandas and pyarrow on both sides): from_df, open(...).all(), pyarrow
tables, attributes and types, and DataFrames and raw pandas frames through tasks.

Task scenarios run in-process under flyte_nb (the image of a docker scenario would need pandas and pyarrow).
"""

from __future__ import annotations

from tests.conformance.harness import Scenario

_SETUP = """
import asyncio, inspect
import pandas as pd
import pyarrow as pa
from flyte.io import DataFrame
env = flyte.TaskEnvironment(name='df_conf')
frame = pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z']})
table = pa.table({'a': [1, 2], 'c': [0.5, 1.5]})
@env.task
async def _make(pandas_frame: bool) -> DataFrame:
    return DataFrame.from_df(frame if pandas_frame else table)
def made(value=None):
    # a DataFrame as a task returns it (stored: the SDK reads only those back)
    return flyte.run(_make, value is None).outputs()[0]
@env.task
async def read(d: DataFrame, kind: str) -> list:
    opened = d.open(pd.DataFrame) if kind == 'pandas' else d.open(pa.Table) if kind == 'arrow' else d
    try:
        return rows(await opened.all())
    except ValueError as error:
        return ['ValueError', str(error).split('.')[0]]
def rows(df):
    return [type(df).__name__, df.to_dict(orient='list') if hasattr(df, 'to_dict') else df.to_pydict()]
flyte.init_from_config()  # the SDK's local mode stores a returned DataFrame under its raw data path
"""


def _s(key: str, code: str) -> Scenario:
    return Scenario(f"dataframe.{key}", _SETUP + code)


SCENARIOS = [
    _s("from_df_attributes", "d = DataFrame.from_df(frame)\n"
                             "result = [type(d).__name__, d.uri, d.format, d.val is frame, d.hash]"),
    _s("from_df_table_attributes", "d = DataFrame.from_df(table)\nresult = [d.uri, d.format, d.val is table]"),
    _s("from_df_uri", "d = DataFrame.from_df(uri='s3://bucket/x.parquet')\nresult = [d.uri, d.val, d.format]"),
    _s("wrap_df_is_from_df", "result = DataFrame.wrap_df(frame).val is frame"),
    _s("open_returns_the_dataframe", "d = DataFrame.from_df(frame)\nresult = d.open(pd.DataFrame) is d"),
    _s("open_pandas_all", "result = flyte.run(read, made(), 'pandas').outputs()[0]"),
    _s("open_pyarrow_all", "result = flyte.run(read, made(), 'arrow').outputs()[0]"),
    _s("open_pandas_all_of_pyarrow", "result = flyte.run(read, made(table), 'pandas').outputs()[0]"),
    _s("all_without_open", "result = flyte.run(read, made(), 'none').outputs()[0]"),
    _s("iter_is_awaited", "result = [inspect.iscoroutinefunction(DataFrame.iter), inspect.isasyncgenfunction(DataFrame.iter)]"),
    _s("stored_attributes", "d = made()\nresult = [type(d).__name__, d.format, d.hash, d.uri is not None or d.val is not None]"),
    _s("stored_repr_names_the_class", "result = repr(made()).startswith('DataFrame(')"),
    _s("open_signature", "result = list(inspect.signature(DataFrame.open).parameters)"),
    _s("from_df_signature", "result = list(inspect.signature(DataFrame.from_df).parameters)"),
    _s("fields", "result = [n for n in ['uri', 'format', 'hash', 'val'] if not hasattr(DataFrame.from_df(frame), n)]"),
    _s("task_returns_dataframe", """
out = made()
result = [type(out).__name__, out.format, flyte.run(read, out, 'pandas').outputs()[0]]
"""),
    _s("task_reads_dataframe_input", """
@env.task
async def total(d: DataFrame) -> int:
    df = await d.open(pd.DataFrame).all()
    return int(df['a'].sum())
result = flyte.run(total, DataFrame.from_df(frame)).outputs()[0]
"""),
    _s("task_raw_pandas_in_and_out", """
@env.task
def double(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(a=df['a'] * 2)
out = flyte.run(double, frame).outputs()[0]
result = rows(out)
"""),
    _s("task_raw_pyarrow_out", """
@env.task
def make() -> pa.Table:
    return table
result = rows(flyte.run(make).outputs()[0])
"""),
    _s("dataframe_to_raw_pandas_input", """
@env.task
def width(df: pd.DataFrame) -> int:
    return len(df.columns)
result = flyte.run(width, DataFrame.from_df(frame)).outputs()[0]
"""),
    _s("nested_dataframe_call", """
@env.task
async def make() -> DataFrame:
    return DataFrame.from_df(frame)

@env.task
async def parent() -> list:
    d = await make()
    df = await d.open(pd.DataFrame).all()
    return [type(d).__name__, list(df.columns), len(df)]
result = flyte.run(parent).outputs()[0]
"""),
]
