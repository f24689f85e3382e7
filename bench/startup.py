"""`%load_ext flyte_nb` in a fresh process (target <= 300 ms) and a no-op image rebuild (target <= 50 ms)."""

from __future__ import annotations

import sys

from .common import Result, Row, Stats, interleave, sh

LOAD_TARGET_MS = 300.0
REBUILD_TARGET_MS = 50.0

#: Timed inside a fresh interpreter: only the magic, after IPython's own start.
LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
start = time.perf_counter()
shell.run_line_magic("load_ext", "flyte_nb")
took = time.perf_counter() - start
assert "flyte_tasks" in shell.magics_manager.magics["line"], "flyte_nb magics missing"
print(took)
"""
IMPORT = """
import time
start = time.perf_counter()
import flyte_nb
print(time.perf_counter() - start)
"""
IPYTHON = """
import time
start = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.instance()
print(time.perf_counter() - start)
"""


def inside(script: str, into: list[float]) -> callable:
    def go() -> None:
        into.append(float(sh(sys.executable, "-c", script).stdout.split()[-1]))
    return go


def run(quick: bool) -> Result:
    repeats = 2 if quick else 15
    load, imp, ipy = [], [], []
    interleave({"load": inside(LOAD_EXT, load), "import": inside(IMPORT, imp), "ipython": inside(IPYTHON, ipy)},
               repeats, warmup=1)
    load, imp, ipy = load[-repeats:], imp[-repeats:], ipy[-repeats:]  # drop the warm-up round
    kernel = kernel_load_ext(1 if quick else 5)
    rebuild, base = noop_rebuild(5 if quick else 30)
    result = Result("startup", "`%load_ext flyte_nb` and a no-op image rebuild",
                    f"`%load_ext flyte_nb` timed inside a fresh `python -c` with IPython's InteractiveShell "
                    f"(the shell's own start excluded), {repeats} fresh processes, interleaved with a fresh "
                    f"`import flyte_nb` alone and the InteractiveShell start for context; then the same magic timed "
                    f"inside a fresh Jupyter kernel (jupyter_client, {len(kernel.samples)} kernels). No-op rebuild: "
                    f"`ensure_image(img)` for an image with a layer that exists already (one process, after a first "
                    f"call).")
    load_stats = Stats(load)
    kernel_met = kernel.median * 1000 <= LOAD_TARGET_MS
    result.rows = [
        Row("`%load_ext flyte_nb`, fresh InteractiveShell", load_stats, target=f"<= {LOAD_TARGET_MS:g} ms",
            met=load_stats.median * 1000 <= LOAD_TARGET_MS),
        Row("`%load_ext flyte_nb`, fresh Jupyter kernel", kernel, target=f"<= {LOAD_TARGET_MS:g} ms", met=kernel_met),
        Row("context: fresh `import flyte_nb` (no IPython)", Stats(imp)),
        Row("context: InteractiveShell start (not included above)", Stats(ipy)),
        Row("no-op rebuild: `ensure_image` of an existing layered image", rebuild,
            target=f"<= {REBUILD_TARGET_MS:g} ms", met=rebuild.median * 1000 <= REBUILD_TARGET_MS),
        Row("context: `ensure_image(Image.from_debian_base())` (no layers)", base),
    ]
    if result.missed:
        result.notes.append("**What bounds it.** " + " ".join(
            f"{row.label}: {row.stats.median * 1000:.0f} ms, missed by "
            f"{row.stats.median * 1000 / float(row.target.split()[1]) - 1:.0%}." for row in result.missed if row.stats))
    result.notes.append(import_profile())
    return result


def kernel_load_ext(kernels: int) -> Stats:
    """The magic timed inside fresh Jupyter kernels started with jupyter_client."""
    from jupyter_client.manager import start_new_kernel

    samples = []
    code = ("import time as _t\n_s = _t.perf_counter()\nget_ipython().run_line_magic('load_ext', 'flyte_nb')\n"
            "print('took', _t.perf_counter() - _s)")
    for _ in range(kernels):
        manager, client = start_new_kernel(kernel_name="python3")
        try:
            out: list[str] = []
            client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
                msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
            samples.append(float("".join(out).split("took")[-1].split()[0]))
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    return Stats(samples)


def noop_rebuild(repeats: int) -> tuple[Stats, Stats]:
    from flyte_nb.config.image import Image
    from flyte_nb.images.builder import ensure_image

    layered = Image.from_debian_base(name="bench").with_env_vars({"FLYTE_NB_BENCH": "1"})
    base = Image.from_debian_base()
    ensure_image(layered)  # builds it the first time on this machine (not timed)
    stats = interleave({"layered": lambda: ensure_image(layered), "base": lambda: ensure_image(base)}, repeats)
    return stats["layered"], stats["base"]


def import_profile() -> str:
    """The biggest imports of `%load_ext flyte_nb` in a fresh shell (python -X importtime, cumulative)."""
    err = sh(sys.executable, "-X", "importtime", "-c", LOAD_EXT).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        if not cumulative.isdigit():
            continue
        if name == "IPython":  # the shell's own imports end here; what follows is instance() + the magic
            rows = []
            continue
        rows.append((int(cumulative), name))
    top = sorted((r for r in rows if not r[1].startswith("IPython")), reverse=True)[:10]
    lines = ["**What `%load_ext flyte_nb` imports** (`python -X importtime`, one run, so noisy; imports after "
             "IPython's own; cumulative, nested modules overlap):", "",
             "| module | cumulative ms |", "|---|---|"]
    lines += [f"| `{name.strip()}` | {c / 1000:.1f} |" for c, name in top]
    return "\n".join(lines)
