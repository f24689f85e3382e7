"""Values across the container boundary as plain JSON, encoded and decoded by the task's type hints.

What a container sends back (outputs, a nested call's arguments) must not run code in the kernel when it
is read, so it is never unpickled by default. Like Flyte's type transformers, a value is written by a codec
chosen from its type: primitives, lists/tuples/sets/dicts, bytes, datetime/date/time/timedelta, numpy
arrays without objects (`.npy`, read with allow_pickle=False; big ones through the blob store), pandas
DataFrames (column by column: numeric/bool/datetime columns as `.npy`, text columns as JSON), flyte_nb.io
File/Dir (their store key), and the classes the hint declares: dataclasses, enums, pydantic models. The
decoder builds those classes from the kernel's own hint, never from a name the container sent.

A value no codec takes is pickled (the fallback Flyte also has); reading it trusts the container as much as
unpickling any file it wrote, and `flyte.init(pickle_outputs=False)` refuses it instead (PickleRefusedError).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import io as _bytes_io
import json
import sys
import typing
import weakref
from typing import Any

#: Types whose values always have a codec (so their hint never accepts a pickle).
_CODEC_TYPES = (bool, int, float, str, bytes, list, tuple, set, frozenset, dict, type(None))
#: The tag key of a non-JSON value; a dict value is always tagged, so a user key "$" cannot be confused.
TAG = "$"


class CodecError(TypeError):
    """A tree that does not decode as the declared type (a forged or mismatched value)."""


class PickleRefusedError(TypeError):
    """A value that only the pickle fallback can carry, with pickles refused (flyte.init(pickle_outputs=False))."""


class _NoCodec(Exception):
    """Internal: this value needs the pickle fallback."""


# ---- hints ----------------------------------------------------------------------------------------
def candidates(hint: Any) -> list[Any]:
    """The alternatives a hint allows: Optional/Union members, Annotated unwrapped; [Any] when unknown."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return candidates(typing.get_args(hint)[0])
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        return [c for member in typing.get_args(hint) for c in candidates(member)]
    return [hint]


def _declared(hint: Any, cls: type) -> bool:
    """The hint names exactly this class (a subclass would decode as its base: it takes the fallback)."""
    return any(c is cls for c in candidates(hint))


def _class_for(hint: Any, name: str) -> type:
    """The declared class of a tagged tree, from the kernel's hint only."""
    for c in candidates(hint):
        if isinstance(c, type) and c.__qualname__ == name:
            return c
    raise CodecError(f"a value of class {name!r} arrived where the task declares {_show(hint)}")


def _items_hint(hint: Any, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """The element hints of the first container alternative of one of `kinds`, else ()."""
    for c in candidates(hint):
        if typing.get_origin(c) in kinds:
            return typing.get_args(c)
    return ()


def _tuple_hints(hint: Any, size: int) -> list[Any]:
    """One hint per item of a tuple of `size`: tuple[X, ...] repeats X; a mismatched length means Any."""
    args = _items_hint(hint, (tuple,))
    hints = [args[0]] * size if len(args) == 2 and args[1] is Ellipsis else list(args)
    return hints if len(hints) == size else [Any] * size


def _show(hint: Any) -> str:
    return getattr(hint, "__qualname__", None) or repr(hint)


def pickle_fits(hint: Any) -> bool:
    """Whether a pickle may stand for a value of this hint: only where some alternative has no safe codec
    (Any, object, no annotation, a plain class). A hint naming only codec types never reads a pickle."""
    return any(not _has_codec(c) for c in candidates(hint))


def _has_codec(hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    if origin in _CODEC_TYPES or origin in _TIMES or origin is None:
        return True
    if not isinstance(origin, type) or origin is object:
        return False
    if issubclass(origin, enum.Enum) or dataclasses.is_dataclass(origin):
        return True
    from . import io

    if origin in (io.File, io.Dir):
        return True
    names = {f"{c.__module__}.{c.__qualname__}" for c in origin.__mro__}
    return bool(names & {"pydantic.main.BaseModel", "numpy.ndarray", "pandas.DataFrame",
                         "pandas.core.frame.DataFrame", "flyte_nb.dataframe.DataFrame"})


def return_hint(func: Any) -> Any:
    """The function's return annotation, Any when it has none or it cannot be resolved."""
    return hints_of(func).get("return", Any)


#: Inside a container: the resolved hints of the task it runs and of the tasks its code names, by task name,
#: shipped with the payload (cloudpickle ships only the globals a function's code uses, so the names in
#: string annotations, `from __future__ import annotations`, are often missing there).
SHIPPED: dict[str, dict[str, Any]] = {}


def task_hints(name: str, func: Any) -> dict[str, Any]:
    """A task's hints: as shipped by the kernel when there are some, else resolved here."""
    return SHIPPED.get(name) or hints_of(func)


def ship_hints(func: Any) -> dict[str, Any]:
    """The function's resolved hints for the payload; the dataclasses they reach get their field annotations
    resolved in place (the class travels by value with them and decodes by them)."""
    hints = hints_of(func)
    for hint in hints.values():
        _settle_classes(hint, set())
    return hints


def _settle_classes(hint: Any, seen: set[int]) -> None:
    """Dataclasses the hint reaches get their field annotations resolved too (they decode by them)."""
    if id(hint) in seen:
        return
    seen.add(id(hint))
    for arg in typing.get_args(hint):
        _settle_classes(arg, seen)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = hints_of(hint)
        if fields and set(fields) >= set(hint.__dict__.get("__annotations__", {})):
            hint.__annotations__ = {name: fields[name] for name in hint.__dict__.get("__annotations__", {})}
            _CLASS_HINTS.pop(hint, None)
        for field_hint in fields.values():
            _settle_classes(field_hint, seen)


#: Field hints of dataclasses, by class (one get_type_hints per class, not per value encoded or decoded).
_CLASS_HINTS: "weakref.WeakKeyDictionary[type, dict[str, Any]]" = weakref.WeakKeyDictionary()


def class_hints(cls: type) -> dict[str, Any]:
    if cls not in _CLASS_HINTS:
        _CLASS_HINTS[cls] = hints_of(cls)
    return _CLASS_HINTS[cls]


def hints_of(func: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # noqa: BLE001 - an annotation naming something undefined: decode as untyped
        return {}


# ---- encoding -------------------------------------------------------------------------------------
def encode(value: Any, hint: Any = Any, *, owned: bool) -> tuple[Any, list[str], int]:
    """(tree, store keys written, inline size in bytes). `owned`: the reader deletes the store files."""
    encoder = _Encoder(owned)
    tree = encoder.value(value, hint)
    return tree, encoder.keys, len(json.dumps(tree)) - encoder.base64_extra


class _Encoder:
    def __init__(self, owned: bool) -> None:
        self.owned = owned
        self.keys: list[str] = []
        self.base64_extra = 0  # base64 is transport, not payload: the inline limit counts raw bytes

    def value(self, value: Any, hint: Any) -> Any:
        try:
            return self.safe(value, hint)
        except _NoCodec:
            return self.pickled(value)

    def blob(self, data: bytes) -> str:
        text = base64.b64encode(data).decode("ascii")
        self.base64_extra += len(text) - len(data)
        return text

    def pickled(self, value: Any) -> Any:
        from . import io

        blob, keys = io.dumps(value, owned=self.owned)
        self.keys.extend(keys)
        return {TAG: "pickle", "type": f"{type(value).__module__}.{type(value).__qualname__}", "v": self.blob(blob)}

    def safe(self, value: Any, hint: Any) -> Any:  # noqa: C901 - one branch per codec, in the order they apply
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if value == value and value not in (float("inf"), float("-inf")) else \
                {TAG: "float", "v": repr(value)}
        if kind is bytes:
            return {TAG: "bytes", "v": self.blob(value)}
        if kind is list:
            (item,) = _items_hint(hint, (list,)) or (Any,)
            return [self.value(v, item) for v in value]
        if kind is tuple:
            return {TAG: "tuple", "v": [self.value(v, h) for v, h in zip(value, _tuple_hints(hint, len(value)))]}
        if kind in (set, frozenset):
            (item,) = _items_hint(hint, (set, frozenset)) or (Any,)
            return {TAG: kind.__name__, "v": [self.value(v, item) for v in value]}
        if kind is dict:
            key, item = _items_hint(hint, (dict,)) or (Any, Any)
            return {TAG: "dict", "v": [[self.value(k, key), self.value(v, item)] for k, v in value.items()]}
        if kind in _TIMES:
            return {TAG: kind.__name__, "v": _TIMES[kind][0](value)}
        return self.declared(value, hint)

    def declared(self, value: Any, hint: Any) -> Any:
        """Classes the hint names (dataclass, enum, pydantic), then data types of installed libraries."""
        kind = type(value)
        if isinstance(value, enum.Enum) and _declared(hint, kind):
            return {TAG: "enum", "t": kind.__qualname__, "v": self.value(value.value, Any)}
        if dataclasses.is_dataclass(value) and _declared(hint, kind):
            if any(not f.init for f in dataclasses.fields(value)):
                raise _NoCodec
            fields = class_hints(kind)
            return {TAG: "dataclass", "t": kind.__qualname__,
                    "v": {f.name: self.value(getattr(value, f.name), fields.get(f.name, Any))
                          for f in dataclasses.fields(value)}}
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and isinstance(value, pydantic.BaseModel) and _declared(hint, kind):
            if kind.__module__.startswith("flyte_nb.config."):  # settings: their validators want Python values
                fields = class_hints(kind)
                return {TAG: "setting", "t": kind.__qualname__,
                        "v": {name: self.value(getattr(value, name), fields.get(name, Any))
                              for name in sorted(value.model_fields_set)}}
            return {TAG: "model", "t": kind.__qualname__, "v": self.model(value)}
        from . import io

        if kind in (io.File, io.Dir):
            return {TAG: kind.__name__, "key": value.key, "name": value.name}
        frames = sys.modules.get("flyte_nb.dataframe")
        if frames is not None and kind is frames.DataFrame:  # by its store key; its bytes are read on .all()
            return {TAG: "io.DataFrame", "uri": value._store(), "format": value.format, "hash": value.hash}
        numpy = sys.modules.get("numpy")
        if numpy is not None and kind is numpy.ndarray:
            return self.array(value)
        if numpy is not None and isinstance(value, numpy.generic) and not isinstance(value, numpy.object_):
            return {TAG: "npscalar", "v": self.array(numpy.asarray(value))}
        pandas = sys.modules.get("pandas")
        if pandas is not None and kind is pandas.DataFrame:
            return self.frame(value)
        raise _NoCodec

    def model(self, value: Any) -> dict[str, Any]:
        """A pydantic model field by field, each by its field's annotation (so a File, Dir, DataFrame or array
        field, `arbitrary_types_allowed`, gets its own codec: model_dump_json cannot write those); extras as Any."""
        fields = {name: self.value(getattr(value, name), field.annotation)
                  for name, field in type(value).model_fields.items()}
        extra = getattr(value, "__pydantic_extra__", None) or {}
        return {**fields, **{name: self.value(item, Any) for name, item in extra.items() if name not in fields}}

    def array(self, value: Any) -> Any:
        import numpy

        from . import io

        if value.dtype.hasobject:
            raise _NoCodec
        if value.nbytes >= io.BY_REFERENCE_BYTES:
            key, new = io.write_array(value)  # an unmodified input array: its input's file, not a copy
            if new:
                self.keys.append(key)
            return {TAG: "ndarray", "key": key, "owned": self.owned and new}
        buffer = _bytes_io.BytesIO()
        numpy.save(buffer, value, allow_pickle=False)
        return {TAG: "ndarray", "v": self.blob(buffer.getvalue())}

    def frame(self, value: Any) -> Any:
        """Column by column; a column of objects that are not all str/None (or an extension dtype) does not fit."""
        names = list(value.columns)
        if any(type(n) not in (str, int) for n in names) or len(set(names)) != len(names):
            raise _NoCodec
        return {TAG: "frame", "columns": names, "index": self.column(value.index),
                "index_name": self.safe(value.index.name, Any),
                "v": [self.column(value[name]) for name in names]}

    def column(self, series: Any) -> Any:
        import numpy
        import pandas

        if isinstance(series, pandas.RangeIndex):
            return {"range": [series.start, series.stop, series.step]}
        if isinstance(series.dtype, numpy.dtype) and not series.dtype.hasobject:
            return {"array": self.array(series.to_numpy())}
        values = [None if v is None or (type(v) is float and v != v) else v for v in series.tolist()]
        if all(v is None or type(v) is str for v in values):  # text columns (object or string dtype)
            return {"strings": values}
        raise _NoCodec


_TIMES: dict[type, tuple[Any, Any]] = {
    dt.datetime: (lambda v: v.isoformat(), dt.datetime.fromisoformat),
    dt.date: (lambda v: v.isoformat(), dt.date.fromisoformat),
    dt.time: (lambda v: v.isoformat(), dt.time.fromisoformat),
    dt.timedelta: (lambda v: [v.days, v.seconds, v.microseconds], lambda v: dt.timedelta(*v)),
}


# ---- decoding -------------------------------------------------------------------------------------
def decode(tree: Any, hint: Any = Any, *, pickles: bool, what: str = "value") -> Any:
    """The value a tree stands for, built by the kernel's hint; a pickle only when `pickles` allows it."""
    return _Decoder(pickles, what).value(tree, hint)


class _Decoder:
    def __init__(self, pickles: bool, what: str) -> None:
        self.pickles = pickles
        self.what = what

    def value(self, tree: Any, hint: Any) -> Any:  # noqa: C901 - one branch per tag
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            if hint is tuple or typing.get_origin(hint) is tuple:  # a JSON array where the hint declares a tuple (a hand-written
                # or non-Python sender): the tuple it declares, not a list that validation would convert later
                return tuple(self.value(v, h) for v, h in zip(tree, _tuple_hints(hint, len(tree))))
            (item,) = _items_hint(hint, (list,)) or (Any,)
            return [self.value(v, item) for v in tree]
        if type(tree) is not dict or not isinstance(tree.get(TAG), str):
            raise CodecError(f"the task's {self.what} is not a flyte_nb encoded value")
        tag, body = tree[TAG], tree.get("v")
        if tag == "float":
            return float(body)
        if tag == "bytes":
            return base64.b64decode(body)
        if tag == "tuple":
            return tuple(self.value(v, h) for v, h in zip(body, _tuple_hints(hint, len(body))))
        if tag in ("set", "frozenset"):
            (item,) = _items_hint(hint, (set, frozenset)) or (Any,)
            return (set if tag == "set" else frozenset)(self.value(v, item) for v in body)
        if tag == "dict":
            key, item = _items_hint(hint, (dict,)) or (Any, Any)
            return {self.value(k, key): self.value(v, item) for k, v in body}
        times = {kind.__name__: parse for kind, (_, parse) in _TIMES.items()}
        if tag in times:
            return times[tag](body)
        return self.declared(tag, tree, hint)

    def declared(self, tag: str, tree: dict[str, Any], hint: Any) -> Any:
        body = tree.get("v")
        if tag == "enum":
            return _class_for(hint, tree["t"])(self.value(body, Any))
        if tag == "dataclass":
            cls = _class_for(hint, tree["t"])
            if not dataclasses.is_dataclass(cls):
                raise CodecError(f"{cls.__qualname__} is not a dataclass")
            fields = class_hints(cls)
            return cls(**{name: self.value(v, fields.get(name, Any)) for name, v in body.items()})
        if tag == "model":
            return self.model(_class_for(hint, tree["t"]), body)
        if tag == "setting":
            cls = _class_for(hint, tree["t"])
            fields = class_hints(cls)
            return cls(**{name: self.value(v, fields.get(name, Any)) for name, v in body.items()})
        if tag in ("File", "Dir"):
            from . import io

            return getattr(io, tag)(str(tree["key"]), str(tree["name"]))
        if tag == "io.DataFrame":
            return self.stored_frame(tree)
        if tag in ("ndarray", "npscalar", "frame"):
            return getattr(self, tag)(tree)
        if tag == "pickle":
            return self.pickled(tree, hint)
        raise CodecError(f"the task's {self.what} has an unknown encoding {tag!r}")

    def model(self, cls: Any, body: Any) -> Any:
        """The declared model, validated (its validators run) from fields decoded by their annotations."""
        if not isinstance(body, dict):
            raise CodecError(f"the task's {self.what} is not an encoded {cls.__qualname__}")
        fields = cls.model_fields
        values = {}
        for name, tree in body.items():
            field = fields.get(name)
            alias = field and (field.validation_alias if isinstance(field.validation_alias, str) else field.alias)
            values[alias or name] = self.value(tree, field.annotation if field else Any)
        return cls.model_validate(values)

    def stored_frame(self, tree: dict[str, Any]) -> Any:
        """flyte.io.DataFrame by reference; one stored pickled (no pyarrow in the image) is read by unpickling
        on .all(), so it counts as the pickle fallback."""
        from .dataframe import PARQUET, DataFrame

        if tree.get("format") != PARQUET and not self.pickles:
            raise PickleRefusedError(f"the task's {self.what} is a flyte.io.DataFrame stored as "
                                     f"{tree.get('format')!r}, read by unpickling; flyte.init(pickle_outputs=False) "
                                     f"refuses it: install pyarrow in the image so it is stored as parquet")
        hash_ = tree.get("hash")
        return DataFrame(uri=str(tree["uri"]), format=str(tree["format"]), hash=None if hash_ is None else str(hash_))

    def ndarray(self, tree: dict[str, Any]) -> Any:
        import numpy

        from . import io

        if "key" in tree:
            key = str(tree["key"])
            if not key.startswith("pickled/") or ".." in key or "/" in key[len("pickled/"):]:
                raise CodecError(f"the task's {self.what} names an array outside the blob store: {key!r}")
            return io.load_array(key, bool(tree.get("owned")))
        return numpy.load(_bytes_io.BytesIO(base64.b64decode(tree["v"])), allow_pickle=False)

    def npscalar(self, tree: dict[str, Any]) -> Any:
        return self.ndarray(tree["v"])[()]

    def frame(self, tree: dict[str, Any]) -> Any:
        import pandas

        columns = {name: self.column(col) for name, col in zip(tree["columns"], tree["v"])}
        index = self.column(tree["index"])
        index = pandas.RangeIndex(index.start, index.stop, index.step) if isinstance(index, range) \
            else pandas.Index(index)
        frame = pandas.DataFrame(columns, index=index)
        frame.index.name = self.value(tree.get("index_name"), Any)
        return frame

    def column(self, tree: dict[str, Any]) -> Any:
        if "range" in tree:
            return range(*tree["range"])
        if "array" in tree:
            return self.ndarray(tree["array"])
        return [None if v is None else str(v) for v in tree["strings"]]

    def pickled(self, tree: dict[str, Any], hint: Any) -> Any:
        if not pickle_fits(hint):
            raise CodecError(f"the task's {self.what} arrived pickled (type {tree.get('type')!r}) where the task "
                             f"declares {_show(hint)}, which has a safe codec: refused, not unpickled")
        if not self.pickles:
            raise PickleRefusedError(
                f"the task's {self.what} is of type {tree.get('type')!r}, which has no safe codec and travels "
                f"pickled; flyte.init(pickle_outputs=False) refuses pickles from containers: return a "
                f"primitive, container, dataclass, enum, pydantic model, numpy array, pandas DataFrame or "
                f"flyte.io.File/Dir declared in the task's type hints, or allow pickles with "
                f"flyte.init(pickle_outputs=True)")
        import cloudpickle

        return cloudpickle.loads(base64.b64decode(tree["v"]))
