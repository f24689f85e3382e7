"""Issue 16, host side: who tasks run as, what they may write, what reaches the notebook, what the
kernel reads from the blob store, and the modes of everything flyte_nb creates. Real Docker engine."""

from __future__ import annotations

import json
import os
import pwd
import stat
import threading
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

import flyte_nb as flyte
from flyte_nb import io
from flyte_nb import secrets as secret_store
from flyte_nb.identity import TASK_GID, TASK_UID, is_host_id
from flyte_nb.io import BlobKeyError, File
from flyte_nb.paths import private_dir, write_private
from flyte_nb.runners.calls import calls_root
from flyte_nb.runners.docker import LABEL
from flyte_nb.runtime import runtime
from tests.test_docker_runner import client, ours

__all__ = ["client"]  # the engine fixture, shared with the container runner's tests

pytestmark = pytest.mark.docker

#: A PEM-shaped secret: the multi-line value whose every line must stay out of the notebook.
PEM = "\n".join(["-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
                 "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
                 "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
                 "-----END PRIVATE KEY-----"])
PEM_LINES = [line for line in PEM.splitlines()]


@pytest.fixture(autouse=True)
def docker_runner(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    runtime().wait(runtime().submit(runtime().runner().close()))  # stops warm workers
    assert ours(client) == [], "a test left containers behind"


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def no_pem_line(text: str) -> bool:
    return not any(line in text for line in PEM_LINES)


# ---- finding 2: the task's uid, the call folder and the controller socket --------------------------
def probe_call_folder() -> dict[str, Any]:
    folder = os.environ["FLYTE_NB_CALL_DIR"]
    sock = os.environ["FLYTE_NB_CONTROLLER"]
    return {"uid": os.getuid(), "gid": os.getgid(), "folder": (os.stat(folder).st_uid, oct(stat.S_IMODE(
        os.stat(folder).st_mode))), "sock": (os.stat(sock).st_uid, oct(stat.S_IMODE(os.stat(sock).st_mode)))}


def test_tasks_run_as_a_uid_no_host_account_has_and_own_a_private_folder_and_socket() -> None:
    env = flyte.TaskEnvironment(name="sec_uid")
    probe = env.task(probe_call_folder)
    seen = probe()
    with pytest.raises(KeyError):
        pwd.getpwuid(seen["uid"])  # before: uid 1000, an account on many hosts
    assert seen["uid"] == TASK_UID and seen["gid"] == TASK_GID and seen["uid"] >= 100_000
    assert not is_host_id(seen["uid"])
    assert seen["folder"] == (TASK_UID, "0o700")
    assert seen["sock"] == (TASK_UID, "0o600")  # before: 0666
    assert mode(calls_root()) == 0o700  # before: 0711, traversable by every host user


def test_a_pod_template_run_as_user_still_wins_and_reaches_the_blob_store() -> None:
    template = flyte.PodTemplate(pod_spec={"securityContext": {"runAsUser": 4321, "runAsGroup": 4321}})
    env = flyte.TaskEnvironment(name="sec_runas", pod_template=template)

    @env.task
    def write_blob() -> tuple[int, File]:
        out = File.new_remote("x.txt")
        with out.open("wb") as fh:
            fh.write(b"from 4321")
        return os.getuid(), out

    uid, out = write_blob()
    assert uid == 4321
    assert Path(out.path).read_bytes() == b"from 4321"


# ---- read-only root, writable /tmp, cwd and HOME --------------------------------------------------
def try_writes() -> dict[str, str]:
    results = {}
    for name, path in {"usr": "/usr/x", "tmp": "/tmp/x", "relative": "x.txt",
                       "home": os.path.join(os.environ["HOME"], ".x")}.items():
        try:
            with open(path, "w") as fh:
                fh.write("ok")
            results[name] = "ok"
        except OSError as error:
            import errno

            results[name] = errno.errorcode[error.errno]
    results["cwd"] = os.getcwd()
    return results


def test_the_root_filesystem_is_read_only_and_tmp_cwd_home_are_writable() -> None:
    env = flyte.TaskEnvironment(name="sec_ro")
    out = env.task(try_writes)()
    assert out["usr"] == "EROFS"  # before: the root filesystem was writable
    assert (out["tmp"], out["relative"], out["home"]) == ("ok", "ok", "ok")  # before: cwd / not writable
    assert out["cwd"] == "/flyte/work"


def test_read_only_root_filesystem_false_in_the_pod_template_makes_it_writable() -> None:
    template = flyte.PodTemplate(pod_spec={"containers": [
        {"name": "primary", "securityContext": {"readOnlyRootFilesystem": False}}]})
    env = flyte.TaskEnvironment(name="sec_rw", pod_template=template)

    out = env.task(try_writes)()
    assert out["usr"] == "EACCES"  # writable filesystem; /usr is root's, the task's user is not
    assert (out["tmp"], out["relative"], out["home"]) == ("ok", "ok", "ok")


def test_warm_workers_get_the_same_read_only_root() -> None:
    env = flyte.TaskEnvironment(name="sec_ro_warm", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=30))
    out = env.task(try_writes)()
    assert out["usr"] == "EROFS"
    assert (out["tmp"], out["relative"], out["home"]) == ("ok", "ok", "ok")


def test_pip_installed_packages_still_import_under_a_read_only_root() -> None:
    image = flyte.Image.from_debian_base(name="io-numpy").with_pip_packages("numpy", "pandas", "pyarrow")
    env = flyte.TaskEnvironment(name="sec_ro_pip", image=image)

    @env.task
    def use_numpy() -> int:
        import numpy

        return int(numpy.arange(5).sum())

    assert use_numpy() == 10


# ---- finding 4: the whole secret redacted, multi-line included -------------------------------------
def print_pem() -> str:
    value = os.environ["PEM"]
    print(value)
    import subprocess

    subprocess.run(["sh", "-c", 'echo "$PEM"'], check=True)  # straight to the container's stdout
    return value  # a returned secret: the run record's output must not show it


def test_a_pem_secret_never_reaches_run_output_logs_errors_or_a_saved_notebook(tmp_path: Path) -> None:
    secret_store.set("pem", PEM)
    env = flyte.TaskEnvironment(name="sec_pem", secrets=[flyte.Secret("pem", as_env_var="PEM")])
    assert env.task(print_pem)() == PEM
    run = flyte.registry().runs[-1]
    assert "[redacted]" in run.logs and no_pem_line(run.logs)  # before: redacted line by line, so never
    assert run.output is not None and no_pem_line(run.output)  # before: run.output was not redacted
    assert no_pem_line(json.dumps(run.to_json()))

    @env.task
    def fail() -> None:
        raise ValueError("bad key:\n" + os.environ["PEM"])

    with pytest.raises(Exception) as caught:  # a TaskError: the ValueError's own text holds the secret
        fail()
    assert no_pem_line(str(caught.value)) and no_pem_line(flyte.registry().runs[-1].error or "")

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print_pem()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=run.logs),
                    nbformat.v4.new_output("execute_result", data={"text/plain": run.output}, execution_count=1)]
    notebook.cells.append(cell)
    nbformat.write(notebook, tmp_path / "saved.ipynb")
    assert no_pem_line((tmp_path / "saved.ipynb").read_text())


def test_a_warm_workers_subprocess_output_is_redacted_and_the_engine_keeps_no_log(client: Any) -> None:
    secret_store.set("pem", PEM)
    env = flyte.TaskEnvironment(name="sec_pem_warm", secrets=[flyte.Secret("pem", as_env_var="PEM")],
                                reusable=flyte.ReusePolicy(replicas=2, idle_ttl=30))
    task = env.task(print_pem)
    assert task() == PEM
    run = flyte.registry().runs[-1]
    assert no_pem_line(run.logs) and "[redacted]" in run.logs
    worker = next(c for c in ours(client) if f"{LABEL}.worker" in c.labels)
    assert worker.attrs["HostConfig"]["LogConfig"]["Type"] == "none"  # before: json-file, unredacted


def test_redact_replaces_whole_values_lines_and_repr_forms() -> None:
    text = secret_store.redact(f"{PEM}\n{PEM_LINES[1]}\n{PEM!r}", [PEM])
    assert no_pem_line(text) and text.count("[redacted]") >= 3


# ---- finding 5: blob keys confined ----------------------------------------------------------------
class Escaping:
    """What a hostile task can return: a pickle that builds File("../secrets.json") in the kernel."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (File, ("../secrets.json", "secrets.json"))


def test_a_task_returning_a_key_outside_the_store_is_refused() -> None:
    secret_store.set("api", "top-secret-value")
    env = flyte.TaskEnvironment(name="sec_key")

    @env.task
    def escape() -> File:
        return File("../secrets.json")

    with pytest.raises(Exception) as caught:  # refused in the container already
        escape()
    assert "'../secrets.json'" in str(caught.value) and "blob store" in str(caught.value)

    @env.task
    def smuggle():  # type: ignore[no-untyped-def]  # untyped, so the pickle fallback reads it (`-> File` refuses it)
        return Escaping()

    with pytest.raises(BlobKeyError, match=r"'\.\./secrets\.json'"):  # before: File.path was the secrets file
        smuggle()
    for key in ("/etc/passwd", "a/../../x", "sha256/\0x"):
        with pytest.raises(BlobKeyError):
            File(key)


def test_a_symlink_planted_in_the_store_is_refused_by_the_kernel() -> None:
    env = flyte.TaskEnvironment(name="sec_link")

    @env.task
    def plant() -> File:
        out = File.new_remote("data")
        os.makedirs(os.path.dirname(out.path), exist_ok=True)
        os.symlink("/etc/passwd", out.path)  # in the kernel this names the host's /etc/passwd
        return out

    planted = plant()
    assert os.path.islink(os.path.join(io.host_root(), planted.key))
    for use in (planted.download_sync, lambda: planted.open("rb").__enter__(), planted.exists_sync,
                planted.cache_digest):
        with pytest.raises(BlobKeyError, match="outside the blob store"):  # before: read /etc/passwd
            use()


def test_a_symlink_inside_a_dir_is_refused_before_it_is_copied(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    folder = flyte.io.Dir.from_local_sync(tmp_path / "src")
    os.symlink("/etc/passwd", Path(folder.path) / "leak")
    with pytest.raises(BlobKeyError):
        folder.download_sync(tmp_path / "copy")
    assert not (tmp_path / "copy" / "leak").exists()


# ---- finding 6: private by default --------------------------------------------------------------
def test_everything_flyte_nb_creates_is_private_from_its_creation(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        env = flyte.TaskEnvironment(name="sec_modes", cache="auto")

        @env.task(report=True)
        def reported(x: int) -> int:
            flyte.report.log("<b>hi</b>", do_flush=True)
            return x

        assert reported(1) == 1
    finally:
        os.umask(old)
    data = Path(os.environ["FLYTE_NB_DATA_DIR"])
    assert mode(data) == 0o700  # before: 0755 until a secret was stored
    blobs = io.host_root()
    assert mode(blobs) == 0o770 and all(mode(blobs / area) == 0o770 for area in io.AREAS)  # before: 1777
    assert (blobs.stat().st_uid, blobs.stat().st_gid) == (TASK_UID, TASK_GID)
    run = flyte.registry().runs[-1]
    assert run.report_path and mode(run.report_path) == 0o600  # before: 0644
    assert mode(Path(run.report_path).parent) == 0o700
    cache = Path(os.environ["FLYTE_NB_CACHE_DIR"])
    entries = [p for p in cache.rglob("*")]
    assert entries and all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in entries)
    secret_store.set("k", "v")
    assert mode(secret_store.store_path()) == 0o600


def test_private_dir_and_write_private_ignore_a_wide_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = private_dir(tmp_path / "a" / "b")
        write_private(made / "f", b"x")
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(mode(made / "f")))
        thread.start()
        thread.join()
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == 0o700 and mode(made) == 0o700 and seen == [0o600]
