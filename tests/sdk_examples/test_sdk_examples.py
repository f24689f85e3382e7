"""The flyte SDK's published examples (tests/sdk_examples/*.py, copied verbatim) print the same under flyte_nb.

Each example runs (a) under flyte 2.12.1 in its local mode (side venv: with no config, init_from_config()
runs locally), (b) as a script under flyte_nb's compat stand-in, every task in its own Docker container, and
(c), for a few, under `%flyte_use` in a real IPython kernel (the module is imported, then its
`if __name__ == "__main__":` block runs in the module's namespace). Printed stdout must be equal after
`normalise`. The runners are tests/programs/test_programs.py's. An example that cannot print the same because
flyte_nb differs on purpose is DIFFERENT, tied to its flyte_nb/differences.py entry; PENDING holds what
flyte_nb has yet to catch up on.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from flyte_nb.differences import DIFFERENCES
from tests.data.sdk_venv import ROOT, sdk_python
from tests.kernels import start_venv_kernel
from tests.programs.test_programs import STANDIN, _env, _kernel_stdout, _run

HERE = Path(__file__).resolve().parent
#: Examples the real SDK runs that flyte_nb cannot run the same yet: example -> the precise reason.
#: They are not compared; test_pending_examples_still_differ keeps the list honest.
PENDING: dict[str, str] = {}
#: Examples that cannot print the same because flyte_nb differs on purpose: example -> (its entry in
#: flyte_nb/differences.py, text flyte_nb prints, on stdout or stderr, because of that difference).
#: test_different_examples_still_differ_for_their_reason keeps each one true.
DIFFERENT = {
    # flaky_call counts attempts in a module global; every attempt in a fresh container starts it at 0 again.
    "retries_timeout_retry_and_timeout": ("differences.local_attempt_fresh_process",
                                          "transient failure on attempt 1"),
    # crunch(20) allocates 1 GB in a 250Mi reusable container: OOM-killed here, so the fallback path prints.
    "reuse_fallback_to_regular": ("differences.local_memory_enforced", "Reusable run failed (TaskOOMError"),
    # oomer allocates 800 MB in a 250Mi task: OOM-killed here (OOMError, retried with 1Gi as the example intends).
    "basics_exception_handling": ("differences.local_memory_enforced", "Failed with oom trying with more resources"),
    # a uv script with requires-python >=3.12: this kernel runs 3.11, and tasks travel as its bytecode.
    "caching_conditional_map_caching": ("differences.image_python_is_the_kernels",
                                        "requires-python='>=3.12', but tasks run this kernel's Python 3.11"),
    # with_requirements(requirements.txt) names a file the examples folder does not have (it also wants 3.12).
    "image_multi_image": ("differences.image_files_read_when_declared", "with_requirements: no file"),
}
EXAMPLES = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith(("test_", "__")))
COMPARED = [e for e in EXAMPLES if e not in PENDING and e not in DIFFERENT]
IN_KERNEL = [e for e in ["basics_hello", "basics_enums", "basics_types_simple_types", "basics_no_outputs",
                         "basics_map_concurrency"] if e not in PENDING]

#: Inherently run-specific lines, the only thing normalised: a run's name (the SDK's local mode calls every
#: run "dry-run", flyte_nb numbers them r1, r2, ...), alone on a line or as a run repr's name='...', and its
#: url (the SDK: a local metadata folder named by a fresh uuid; flyte_nb: flyte_nb://runs/<name>), a run
#: repr's run_time (the SDK's: seconds since midnight, from its placeholder epoch start) and an object's
#: address in a default repr.
_RUN_SPECIFIC = [
    (re.compile(r"^(dry-run|r\d+)$", re.M), "<run name>"),
    (re.compile(r"(?<=^    name=')(dry-run|r\d+)(?=',$)", re.M), "<run name>"),
    (re.compile(r"(?<=^    run_time=')\d+ secs(?=',$)", re.M), "<run time>"),
    (re.compile(r"(/tmp/flyte/metadata/[0-9a-f-]{36}|flyte_nb://runs/r\d+)"), "<run url>"),
    (re.compile(r" at 0x[0-9a-f]+>"), " at <address>>"),  # an object's memory address in a default repr
]


def normalise(text: str) -> str:
    """`text` with run names and run urls replaced by placeholders (nothing else is touched)."""
    for pattern, placeholder in _RUN_SPECIFIC:
        text = pattern.sub(placeholder, text)
    return text


@functools.cache
def sdk_output(example: str) -> str:
    """What the example prints under the real SDK's local mode (its own logging silenced: it logs to stdout)."""
    with tempfile.TemporaryDirectory(prefix="sdkex-sdk-") as work:
        env = _env(work, LOG_LEVEL="60", USER_LOG_LEVEL="60")
        return normalise(_run([str(sdk_python()), str(HERE / f"{example}.py")], env, work))


def standin_output(example: str, work: Path) -> str:
    """What the example prints as `python example.py` under flyte_nb's stand-in, tasks in Docker containers."""
    env = _env(str(work), PYTHONPATH=str(ROOT), FLYTE_NB_RUNNER="docker")
    return normalise(_run([sys.executable, "-c", STANDIN, str(HERE / f"{example}.py")], env, str(work)))


def standin_run(example: str, work: Path) -> subprocess.CompletedProcess[str]:
    """standin_output's run, however it ends (stdout and stderr kept)."""
    env = _env(str(work), PYTHONPATH=str(ROOT), FLYTE_NB_RUNNER="docker")
    return subprocess.run([sys.executable, "-c", STANDIN, str(HERE / f"{example}.py")], capture_output=True,
                          text=True, timeout=600, env=env, cwd=work)


def main_block(example: str) -> str:
    """The source of the example's `if __name__ == "__main__":` block's body (what a script run executes)."""
    tree = ast.parse((HERE / f"{example}.py").read_text())
    blocks = [node for node in tree.body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    assert len(blocks) == 1, f"{example} has {len(blocks)} __main__ blocks"
    return "\n".join(ast.unparse(statement) for statement in blocks[0].body)


def test_normalise_replaces_only_run_names_and_urls() -> None:
    text = ("dry-run\n/tmp/flyte/metadata/9ccfbdcc-3687-4af3-8b5e-5c3894e414b7\nr12\nflyte_nb://runs/r3\nr1x 42\n"
            "<coroutine object my_task at 0x7f7d56a29fc0>\n    name='dry-run',\n    run_time='17866 secs',\n"
            "name='r1' run_time='3 secs'\n")
    assert normalise(text) == ("<run name>\n<run url>\n<run name>\n<run url>\nr1x 42\n"
                               "<coroutine object my_task at <address>>\n    name='<run name>',\n"
                               "    run_time='<run time>',\n" "name='r1' run_time='3 secs'\n")


@pytest.mark.docker
@pytest.mark.parametrize("example", COMPARED)
def test_example_prints_the_same_under_flyte_nb_in_containers(example: str, tmp_path: Path) -> None:
    expected = sdk_output(example)
    assert expected.strip(), f"{example} printed nothing under the real SDK"
    assert standin_output(example, tmp_path) == expected


@pytest.mark.docker
@pytest.mark.parametrize("example", IN_KERNEL)
def test_example_prints_the_same_under_flyte_use_in_a_kernel(example: str, tmp_path: Path) -> None:
    expected = sdk_output(example)
    env = _env(str(tmp_path), PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]), FLYTE_NB_RUNNER="docker")
    km = start_venv_kernel(tmp_path, "sdk-examples", env)
    try:
        got = _kernel_stdout(km, f"%load_ext flyte_nb\n%flyte_use {example}\n"
                                 f"exec({main_block(example)!r}, vars({example}))")
    finally:
        km.shutdown_kernel(now=True)
    assert normalise(got) == expected


def test_every_pending_example_exists_and_runs_under_the_sdk() -> None:
    """PENDING names real examples, each of which the real SDK runs (so it is flyte_nb that must catch up)."""
    assert not sorted(set(PENDING) - set(EXAMPLES)), "PENDING lists examples that do not exist"
    assert all(sdk_output(e).strip() for e in PENDING)


@pytest.mark.docker
def test_pending_examples_still_differ(tmp_path: Path) -> None:
    """A PENDING example still fails or prints differently under flyte_nb (else it must leave PENDING); one
    test over the list, so an empty PENDING is a passing test, not a skipped one."""
    for example in sorted(PENDING):
        try:
            got = standin_output(example, tmp_path / example)
        except AssertionError:
            continue
        assert got != sdk_output(example), f"{example} now passes: remove it from PENDING"


def test_every_different_example_names_a_listed_difference() -> None:
    """An example is DIFFERENT only by a deliberate difference of flyte_nb/differences.py (so docs list it)."""
    assert not sorted(set(DIFFERENT) - set(EXAMPLES)), "DIFFERENT lists examples that do not exist"
    assert not sorted(set(DIFFERENT) & set(PENDING)), "an example is DIFFERENT or PENDING, not both"
    assert all(key in DIFFERENCES for key, _ in DIFFERENT.values())


@pytest.mark.docker
@pytest.mark.parametrize("example", sorted(DIFFERENT))
def test_different_examples_still_differ_for_their_reason(example: str, tmp_path: Path) -> None:
    """The example still prints differently, and shows the difference it is listed for."""
    done = standin_run(example, tmp_path)
    _, evidence = DIFFERENT[example]
    assert evidence in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode != 0 or normalise(done.stdout) != sdk_output(example)
