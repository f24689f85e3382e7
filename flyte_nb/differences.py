"""Where flyte_nb behaves differently from flyte 2.12.1 on purpose: conformance scenario id -> reason.

Data, not code: tests/conformance/test_conformance.py checks that each listed scenario really
differs (so the list stays true), and docs/sdk-differences.md is generated from it
(`python -m flyte_nb docs`). Everything not listed here behaves as the SDK does.
"""

from __future__ import annotations

DIFFERENCES: dict[str, str] = {
    "differences.falsy_override_retries_kept":
        "A falsy override is kept: `override(retries=0)` (or `env_vars={}`, `timeout=0`) means what it says; "
        "the SDK treats a falsy value as unset and keeps the decorator's value.",
    "differences.override_refuses_report":
        "`override(report=...)` is refused with a ConfigError naming the parameter: the spec's table allows "
        "`report` only at the decorator level (the SDK accepts it on override).",
    "differences.override_refuses_triggers":
        "`override(triggers=...)` is refused: the spec's table allows `triggers` only at the decorator level "
        "(the SDK accepts it on override).",
    "differences.override_refuses_plugin_config":
        "`override(plugin_config=...)` is refused: the spec's table allows `plugin_config` only on the "
        "TaskEnvironment (the SDK accepts it on override for a registered plugin type).",
    "differences.decorator_pod_template_on_reusable_env":
        "`@env.task(pod_template=...)` on a reusable environment is accepted, as the spec's table allows "
        "`pod_template` at the decorator level; the SDK refuses it (ValueError) because a reused container "
        "cannot take a per-task pod spec.",
    "differences.local_timeout_enforced":
        "Timeouts are enforced on this machine: a task over its `timeout` is stopped with TaskTimeoutError; "
        "the SDK's local mode ignores timeouts.",
    "differences.local_env_vars_set":
        "`env_vars` are set in the task's container; the SDK's local mode runs tasks in-process without them.",
    "differences.local_memory_enforced":
        "`Resources(memory=...)` is the container's limit: a task over it is OOM-killed (TaskOOMError); the "
        "SDK's local mode ignores resources.",
    "differences.local_secret_required":
        "A requested secret must exist (flyte_nb.secrets.set, %flyte_secret, or FLYTE_NB_SECRET_*) and is "
        "injected into the container; the SDK's local mode ignores secrets.",
    "differences.local_attempt_fresh_process":
        "Every attempt of a task runs in a fresh container, as every retry runs in a fresh pod on a cluster, so "
        "module-level state does not carry over from one attempt to the next; the SDK's local controller runs "
        "all retries in one Python process (its retries example counts attempts in a module global and says "
        "that works only locally).",
    "failures.direct.sync_call":
        "A task called directly (from a cell or a script, not through flyte.run or from another task) raises "
        "its own exception, the remote traceback as its cause, so `except KeyError` works as for a plain "
        "function; the SDK's local mode keeps a direct async call's exception too but wraps a direct sync "
        "call's in flyte.errors.RuntimeUserError. A parent task and flyte.run get the SDK's RuntimeUserError.",
    "differences.local_image_used":
        "Tasks run in their environment's image (built locally); the SDK's local mode runs them in the "
        "caller's Python and ignores the image.",
    "differences.image_python_is_the_kernels":
        "An image's Python is the kernel's: tasks travel as cloudpickled bytecode, which another Python minor "
        "version cannot load, so `python_version=` and a uv script's `requires-python` must allow the kernel's "
        "version, else a clear error names both; the SDK's local mode ignores images and runs every task in the "
        "caller's Python.",
    "differences.image_files_read_when_declared":
        "`Image.with_requirements` / `with_source_file` read their file when the image is declared (its tag "
        "hashes their content, so an unchanged recipe is never rebuilt) and refuse a missing one; the SDK reads "
        "them when it builds, so an image naming a missing file loads there.",
    "config.secret_mount_other":
        "`Secret(mount=...)` takes any absolute path: the secret file is mounted there in the container. The SDK "
        "accepts only /etc/flyte/secrets (`%flyte_export` refuses other paths, so exported code stays valid).",
    "config.reuse_idle_ttl_short":
        "`ReusePolicy(idle_ttl=...)` accepts from 1 second: warm containers on one machine can be let go quickly "
        "while iterating; the SDK's cluster needs at least 30 seconds (`%flyte_export` refuses shorter).",
    "config.env_add_dependency_duplicate":
        "`env.add_dependency(e)` twice keeps one dependency, as the SDK documents (\"duplicate dependencies are "
        "silently ignored\"); flyte 2.12.1's loop appends the duplicate anyway.",
    "config.task_docs":
        "`task.docs` reads the function's docstring when `docs=` is not given, the spec's table default; the "
        "SDK's attribute stays None.",
    "io.file_sync_read_in_task":
        "`with file.open()` gives a plain file object, as `async with file.open()` gives an awaitable handle: "
        "notebook code reads files synchronously; flyte 2.12.1's `open()` supports only `async with` "
        "(`open_sync()` works in both).",
    "io.dir_walk_sync_flat":
        "`Dir.walk_sync(recursive=False)` lists only the folder's own files, as the SDK documents; flyte "
        "2.12.1 ignores `recursive=False` on local folders and lists every subfolder too.",
    "io.dir_walk_async_in_task":
        "`Dir.walk(recursive=False)` lists only the folder's own files, as the SDK documents; flyte 2.12.1 "
        "ignores `recursive=False` on local folders.",
    "io.dir_from_local_files":
        "`Dir.list_files_sync()` lists the folder's own files (non-recursive, as the SDK documents); flyte "
        "2.12.1 lists local subfolders' files too.",
    "io.dir_list_files_async":
        "`await Dir.list_files()` lists the folder's own files (non-recursive, as the SDK documents); flyte "
        "2.12.1 lists local subfolders' files too.",
    "io.dir_from_local_not_a_dir":
        "`Dir.from_local` of a file is refused (NotADirectoryError naming the path); flyte 2.12.1 makes a Dir "
        "of the file, which fails later when it is walked.",
}


HEADER = """# Deliberate differences from flyte 2.12.1

Generated from `flyte_nb/differences.py` by `python -m flyte_nb docs`; do not edit by hand.
Everything not listed here behaves as the real SDK does: `tests/conformance/` runs each scenario under
flyte 2.12.1 and under flyte_nb and compares results and exception types. Each row below is a scenario
that the suite checks *does* differ, so this list cannot go stale.
"""


def render() -> str:
    """docs/sdk-differences.md: one row per deliberate difference, with the scenario that proves it."""
    lines = [HEADER, "| Scenario | What flyte_nb does, and why |", "|---|---|"]
    lines += [f"| `{key}` | {reason.replace('|', chr(92) + '|')} |" for key, reason in DIFFERENCES.items()]
    return "\n".join(lines) + "\n"
