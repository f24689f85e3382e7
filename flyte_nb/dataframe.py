"""flyte.io.DataFrame: a table that travels through the blob store as one parquet file.

The SDK's API: `DataFrame.from_df(df)` (or `from_local(df)`) wraps a pandas DataFrame or a
pyarrow Table; `DataFrame.from_existing_remote(path)` names stored data; `await d.open(pd.DataFrame).all()`
(or `.all_sync()`) reads it back as the type asked for. Crossing a call, a DataFrame pickles as
its store key only: the table is written once (parquet when pyarrow is installed, else a pandas
pickle) and read where it is opened, so a big frame never goes through the call folder.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any, AsyncIterator

from .io import BlobKeyError, _key_of, _writable_root, confine, located

PARQUET = "parquet"
#: pandas pickles, for machines without pyarrow (the SDK always writes parquet).
PICKLE = "pickle"


class DataFrame:
    """A table by reference: `.val` holds it where it was made, `.uri` is its key once stored."""

    def __init__(self, uri: str | None = None, format: str = PARQUET, hash: str | None = None,  # noqa: A002
                 val: Any = None) -> None:
        self.uri = confine(uri) if uri is not None else None
        self.format, self.hash, self.val = format, hash, val
        self._as: type | None = None

    # ---- making one -------------------------------------------------------------------------
    @classmethod
    def from_df(cls, val: Any = None, uri: str | None = None) -> "DataFrame":
        """Wrap a pandas DataFrame or pyarrow Table (stored when it crosses a call). Its format is "" until it
        is stored (parquet then), as the SDK's."""
        return cls(uri=_key_of(uri) if uri else None, format="", val=val)

    wrap_df = from_df

    @classmethod
    def from_local_sync(cls, df: Any, columns: Any = None, remote_destination: str | None = None,
                        hash_method: Any = None) -> "DataFrame":
        """Wrap and store now (the SDK uploads here); `hash_method` as a str becomes `.hash`."""
        made = cls(val=df, hash=hash_method if isinstance(hash_method, str) else None)
        made._store()
        return made

    @classmethod
    async def from_local(cls, df: Any, columns: Any = None, remote_destination: str | None = None,
                         hash_method: Any = None) -> "DataFrame":
        return await asyncio.to_thread(cls.from_local_sync, df, columns, remote_destination, hash_method)

    @classmethod
    def from_existing_remote(cls, remote_path: str, format: str | None = None, **kwargs: Any) -> "DataFrame":  # noqa: A002
        """Stored data, by its path in the store (or key); the format defaults to parquet."""
        return cls(uri=_key_of(remote_path), format=format or _format_of(remote_path))

    # ---- reading one ------------------------------------------------------------------------
    def open(self, dataframe_type: type) -> "DataFrame":
        """Choose what all() returns: pandas.DataFrame or pyarrow.Table."""
        self._as = dataframe_type
        return self

    def all_sync(self) -> Any:
        """The whole table, as the type given to open() (which the SDK requires first)."""
        if self._as is None:
            raise ValueError("No dataframe type set. Use open() to set the local dataframe type you want to use: "
                             "DataFrame.open(pandas.DataFrame).all() (or pyarrow.Table)")
        table = self.val if self.val is not None else self._load()
        return _convert(table, self._as)

    async def all(self) -> Any:
        return await asyncio.to_thread(self.all_sync)

    async def iter(self) -> AsyncIterator[Any]:
        """Awaited, as the SDK's, for an async iterator of batches; here the table is one batch."""
        async def batches() -> AsyncIterator[Any]:
            yield await self.all()

        return batches()

    # ---- storage ----------------------------------------------------------------------------
    def _store(self) -> str:
        """Write `.val` into the store once; its key."""
        if self.uri is None:
            self.format = PARQUET if _has_pyarrow() else PICKLE
            key = f"new/{uuid.uuid4().hex}/data.{self.format}"
            path = _writable_root() / key
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(self.val, path, self.format)
            self.uri = key
        return self.uri

    def _load(self) -> Any:
        if self.uri is None:
            raise ValueError("DataFrame: it has neither a value nor a uri to read from")
        path = located(self.uri)
        if self.format == PICKLE:
            import pandas

            return pandas.read_pickle(path)
        if not _has_pyarrow():
            raise ImportError(f"DataFrame {self.uri!r} is stored as parquet and reading it needs pyarrow: "
                              f"pip install pyarrow here (or open it in a task whose image has it)")
        import pyarrow.parquet

        return pyarrow.parquet.read_table(path)

    @property
    def path(self) -> str | None:
        return str(located(self.uri)) if self.uri else None

    def cache_digest(self) -> str:
        """The cache keys on the stored content (the hash when one was given)."""
        from .io import _sha256

        return self.hash or _sha256(located(self._store()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (DataFrame, (self._store(), self.format, self.hash))

    def __repr__(self) -> str:
        return f"DataFrame(uri={self.uri!r}, format={self.format!r})"


def _format_of(path: str) -> str:
    return PICKLE if os.fspath(path).endswith(".pickle") else PARQUET


def _has_pyarrow() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def _write(table: Any, path: Any, format: str) -> None:  # noqa: A002
    if format == PICKLE:
        _convert(table, _pandas_type()).to_pickle(path)
        return
    import pyarrow
    import pyarrow.parquet

    if not isinstance(table, pyarrow.Table):
        table = pyarrow.Table.from_pandas(table, preserve_index=False)
    pyarrow.parquet.write_table(table, path)


def _pandas_type() -> type:
    import pandas

    return pandas.DataFrame


def _convert(table: Any, wanted: type | None) -> Any:
    """A pandas DataFrame or pyarrow Table as `wanted` (unchanged when None or already that)."""
    if wanted is None or isinstance(table, wanted):
        return table
    name = f"{wanted.__module__}.{wanted.__qualname__}"
    if name.startswith("pandas") and hasattr(table, "to_pandas"):
        return table.to_pandas()
    if name.startswith("pyarrow"):
        import pyarrow

        return pyarrow.Table.from_pandas(table, preserve_index=False)
    raise TypeError(f"DataFrame.open(dataframe_type={name}): only pandas.DataFrame and pyarrow.Table are supported")


__all__ = ["PARQUET", "DataFrame", "BlobKeyError"]
