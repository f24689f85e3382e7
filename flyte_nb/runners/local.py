"""The local runner: each attempt in its own Python subprocess, when no Docker engine answers.

Same shim, same controller and secrets handover as the container runner; the limits it can
enforce without containers: env vars (a clean environment plus the task's), secrets, timeout
and retries (the runtime's), memory as an address-space rlimit, and the process group killed
on timeout or interrupt. Not enforced here: cpu limits, images, network isolation.
"""

from __future__ import annotations

import asyncio
import collections
import os
import resource
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import io, usage
from .. import secrets as secret_store
from ..controller import Controller
from .base import Call, Runner
from ..shim import RESULT
from .calls import call_folder, outcome, write_payload

PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "PIP_CERT")


def _limits(memory: int | None) -> Any:
    def apply() -> None:  # runs in the child between fork and exec
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


class LocalRunner(Runner):
    name = "local"

    async def attempt(self, call: Call, number: int) -> Any:
        settings = call.settings
        secrets = secret_store.resolve(settings.value("secrets"))
        call.secret_values = list(secrets.values())
        resources = settings.value("resources")
        memory_limit = resources.memory_request_limit()[1] if resources is not None else None
        shown_limit = resources.memory_limit_text if resources is not None else None
        with call_folder(call, number) as folder, tempfile.TemporaryDirectory(prefix="secrets-") as secret_root:
            write_payload(folder, call)
            async with Controller(folder / "ctl.sock", call, secrets) as controller:
                env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
                env.update(dict(settings.value("env_vars")))
                env.update({
                    "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
                    "PYTHONUNBUFFERED": "1", "HOME": os.environ.get("HOME", "/tmp"),
                    "FLYTE_NB_CALL_DIR": str(folder), "FLYTE_NB_CONTROLLER": str(folder / "ctl.sock"),
                    "FLYTE_NB_TOKEN": controller.token, "FLYTE_NB_SECRETS_ROOT": secret_root,
                    "FLYTE_NB_TASK": call.task.name, "FLYTE_NB_RUN": call.run.id, "FLYTE_NB_ATTEMPT": str(number),
                    "FLYTE_NB_BLOB_ROOT": str(io.host_root()),
                    usage.SOURCE_ENV: "process",  # the kernel's cgroup is not the task's: getrusage (usage.py)
                })
                call.status("starting")
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "flyte_nb.shim", env=env, cwd=folder,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                    preexec_fn=_limits(memory_limit), start_new_session=True,
                )
                call.run.attempts[-1].container = f"pid {process.pid}"
                call.status("running")
                tail: collections.deque[str] = collections.deque(maxlen=20)  # bounded: a task may print 1e6 lines
                try:
                    assert process.stdout is not None and process.stderr is not None
                    await asyncio.gather(_pump(process.stdout, "stdout", call, list(secrets.values()), tail),
                                         _pump(process.stderr, "stderr", call, list(secrets.values()), tail))
                    exit_code = await process.wait()
                finally:
                    if process.returncode is None:
                        os.killpg(process.pid, signal.SIGKILL)
                        await process.wait()
            oom = memory_limit is not None and "MemoryError" in "".join(list(tail)[-5:]) \
                and not (Path(folder) / RESULT).exists()
            return outcome(folder, call, number, exit_code=exit_code, oom=oom, where=f"pid {process.pid}",
                           secrets=list(secrets.values()), log_tail="".join(tail), memory_limit=shown_limit)


async def _pump(reader: asyncio.StreamReader, stream: str, call: Call, secrets: list[str],
                tail: collections.deque[str]) -> None:
    """One of the process's streams, line by line and redacted, to the call's log sink under its own name
    (so a script prints a task's stderr on stderr, as the SDK does); both streams are read at once, so
    neither pipe fills up and stalls the task."""
    async for raw in reader:
        line = secret_store.redact(raw.decode("utf-8", "replace"), secrets)
        tail.append(line)
        call.emit(line, stream)
