"""The task side of a call: `python -m flyte_nb.shim`, inside the container (or a local subprocess).

It says hello to the kernel's controller over the mounted unix socket and receives the
secrets (so they never appear in the container's config, `docker inspect` or on disk
outside a tmpfs), loads the call, runs the function, and writes the result atomically.
Nested task calls made by the function go back to the controller over the same socket.

Imports are part of every cold call's path (a container's first call waits for them): at module level
only what reaching the kernel needs (the wire, blocking sockets); what loading and running a call needs
(cloudpickle, the codec, the context, the meter) is imported once its call is on the way (`_call_modules`),
and what only a failure or a big output needs (remote errors, the blob store) only then.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from . import protocol

_SECRETS_LOCK = threading.Lock()


def _call_modules() -> None:
    """What loading, running and answering a call imports: in a standby while it waits for its call (so
    none of it is on that call's path), in a container made for its call once it said hello."""
    import cloudpickle  # noqa: F401
    from . import codec, context, usage  # noqa: F401


def _pack_error(error: BaseException) -> dict[str, Any]:
    from .remote import pack_error  # tracebacks, inspect, logging: only a failing call pays for them

    return pack_error(error)


def install_secrets(secrets: list[list[Any]]) -> None:
    """mount -> a file <mount>/<key> (on the tmpfs the runner mounted); otherwise an env var.

    `secrets` as the controller sends them: [{"key", "mount", "env_var", "as_env_var"}, value] pairs.

    A warm worker installs them again for every call, possibly for several calls at once:
    an unchanged file is left alone, a changed one is replaced atomically (never missing).
    """
    root = os.environ.get("FLYTE_NB_SECRETS_ROOT")  # the local runner: a private folder stands in for "/"
    with _SECRETS_LOCK:
        for secret, value in secrets:
            if secret["mount"] is not None:
                folder = Path(root, str(secret["mount"]).lstrip("/")) if root else Path(secret["mount"])
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / secret["key"]
                try:
                    unchanged = path.read_text(encoding="utf-8") == value
                except OSError:
                    unchanged = False
                if not unchanged:
                    tmp = folder / f".{secret['key']}.{os.getpid()}.{threading.get_ident()}"
                    tmp.write_text(value, encoding="utf-8")
                    tmp.chmod(0o400)
                    os.replace(tmp, path)
            if secret["as_env_var"] or secret["mount"] is None:
                os.environ[secret["env_var"]] = value


def _missing_hint(error: Exception) -> str:
    """What to do about code that did not load: a missing installed package needs the image; a
    module of the user's own project (not installed anywhere) needs to be importable as a file."""
    name = getattr(error, "name", None) or ""
    if isinstance(error, ModuleNotFoundError) and name:
        return (f"module {name!r} is not in the image: if it is a package, add it with "
                f"Image.with_pip_packages({name.split('.')[0]!r}); if it is your own module, import it in the "
                f"notebook or the task's file so it travels with the task, or add it with Image.with_source_file")
    return "is every package the task needs installed in the environment's image? Image.with_pip_packages(...)"


def run_call(call_dir: Path) -> dict[str, Any]:
    import cloudpickle

    try:
        payload = cloudpickle.loads((call_dir / "call.pkl").read_bytes())
    except Exception as error:  # noqa: BLE001 - e.g. a module the task or its inputs need is not in the image
        return not_loaded(error)
    return run_payload(payload)


def not_loaded(error: Exception) -> dict[str, Any]:
    """The result of a call whose task or inputs did not load in the container."""
    from .errors import TaskShippingError

    return {"ok": False, "error": _pack_error(TaskShippingError(
        f"the task or its inputs could not be loaded in its container: {type(error).__name__}: {error} "
        f"({_missing_hint(error)})"))}


def run_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Run a loaded call (call.pkl's payload; a warm worker's, with the function from its cache), its
    inputs still pickled: the task's value or its error, as run_call returns it."""
    import cloudpickle

    from . import codec, context

    try:
        func, name = payload["func"], payload["name"]
        codec.SHIPPED.update(payload["hints"])
        args, kwargs = cloudpickle.loads(payload["inputs"])
    except Exception as error:  # noqa: BLE001 - e.g. a module the task or its inputs need is not in the image
        return not_loaded(error)
    if payload.get("report"):
        from . import report

        report.activate(send_report)
    try:
        with context.entered(context.from_wire(payload.get("context"))):  # flyte.ctx(), custom context
            if payload["is_async"]:
                import asyncio

                value = asyncio.run(func(*args, **kwargs))
            else:
                value = func(*args, **kwargs)
    except BaseException as error:  # noqa: BLE001 - everything the task raises goes back to the kernel
        return {"ok": False, "error": _pack_error(error)}
    finally:
        if payload.get("report"):
            from . import report

            try:
                report.flush()  # the final state of the report reaches the kernel before the result
            except OSError as error:
                print(f"flyte_nb: the report's last flush did not reach the kernel: {error}", file=sys.stderr)
    return {"ok": True, "value": value, "limit": payload["max_inline_io_bytes"], "task": name,
            "hint": codec.task_hints(name, func).get("return", Any)}


def send_report(tabs: dict[str, str]) -> None:
    controller = protocol.current_controller()
    if controller is None:
        raise OSError("no flyte_nb controller to send the report to")
    path, token = controller
    protocol.request(path, {"op": "report", "tabs": tabs}, token)


RESULT = "result.json"


def write_result(call_dir: Path, result: dict[str, Any]) -> None:
    """result.json, atomically: the output encoded by its type hint (flyte_nb.codec), or the error as data."""
    import json

    tmp = call_dir / f"{RESULT}.tmp"
    tmp.write_text(json.dumps(pack_result(result)), encoding="utf-8")
    os.replace(tmp, call_dir / RESULT)


def pack_result(result: dict[str, Any]) -> dict[str, Any]:
    """A run_call result as plain data (what result.json holds; a warm worker sends it in its "done" frame)."""
    return _pack_output(result) if result["ok"] else result


def _pack_output(result: dict[str, Any]) -> dict[str, Any]:
    from . import codec

    value = result["value"]
    try:
        tree, keys, size = codec.encode(value, result["hint"], owned=True)
    except Exception as error:  # noqa: BLE001 - an output that cannot travel
        return {"ok": False, "error": _pack_error(TypeError(
            f"the task's output of type {type(value).__name__} cannot be sent back: {error}"))}
    if value is not None and size > result["limit"]:
        from . import io
        from .errors import InlineIOLimitError

        io.remove(keys)
        return {"ok": False, "error": _pack_error(InlineIOLimitError.of(result["task"], "outputs", size,
                                                                       result["limit"]))}
    return {"ok": True, "value": tree}


def main() -> int:
    call_dir = Path(os.environ["FLYTE_NB_CALL_DIR"])
    if STANDBY_TOKEN in os.environ:
        return standby(call_dir, os.environ.pop(STANDBY_TOKEN))  # not inherited by the task's subprocesses
    controller, token = os.environ["FLYTE_NB_CONTROLLER"], os.environ["FLYTE_NB_TOKEN"]
    _call_modules()
    from . import usage

    meter = usage.metered(controller, token)  # samples while it runs; the final figures once the result is out
    hello = protocol.request(controller, {"op": "hello", "python": list(sys.version_info[:2])}, token)
    install_secrets(hello["secrets"])  # task calls made by the function reach the controller: Runtime reads the env
    write_result(call_dir, run_call(call_dir))
    meter.stop()
    sys.stdout.flush()
    sys.stderr.flush()
    return 0


#: Env var of a standby container (flyte_nb.runners.standby): the key of its standby socket's frames.
STANDBY_TOKEN = "FLYTE_NB_STANDBY_TOKEN"
STANDBY_SOCKET = "standby.sock"


def standby(call_dir: Path, key: str) -> int:
    """A standby container: imported and connected before any call exists, it blocks until one call is
    handed to it, runs it and exits (a container serves one call only).

    The call arrives as one frame on the kernel's standby socket: its controller token, its identity (task,
    run, attempt) and its secrets, so nothing of the call is in the container's config; "done" goes back on
    the same connection once result.json is written, after the frame's end-of-output mark on stdout and
    stderr: the kernel knows it has all the call's output without waiting for the container to exit.
    """
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(call_dir / STANDBY_SOCKET))
        sock.sendall(protocol.dumps({"op": "ready", "python": list(sys.version_info[:2])}, key))
        # Ready first, imports next: a call already waiting for this container (the first call of its
        # config) sends its frame meanwhile; a standby that waits has them loaded before any call arrives.
        _call_modules()
        if not _readable(sock):  # no call yet: the blob store too (25 ms), for calls that pass files
            from . import io  # noqa: F401

        from . import usage

        request = protocol.receive(sock, key)  # blocks until a call claims this container
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})  # controller, token, task, run
        # what the call used, from the call's start (the shim's imports and the wait came before it)
        meter = usage.metered(os.environ["FLYTE_NB_CONTROLLER"], os.environ["FLYTE_NB_TOKEN"], "cgroup-standby")
        install_secrets(request["secrets"])
        write_result(call_dir, run_call(call_dir))
        meter.stop()
        sys.stdout.flush()
        sys.stderr.flush()
        for fd in (1, 2):
            os.write(fd, b"\0" + str(request["mark"]).encode() + b"\n")
        sock.sendall(protocol.dumps({"done": True}, key))
    return 0


def _readable(sock: Any) -> bool:
    """Whether a frame is already waiting on the socket (a call claimed the container as it started)."""
    import select

    return bool(select.select([sock], [], [], 0)[0])


if __name__ == "__main__":
    sys.exit(main())
