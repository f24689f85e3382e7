"""from_pixi_script: a pixi script's PEP 723 block lowered to a `pixi.toml` workspace manifest.

pixi has no `install --script`, so (as the SDK does) the block becomes an ordinary manifest:
`requires-python` the python dependency (unless [tool.pixi.dependencies] names python), PEP 723
`dependencies` the [pypi-dependencies], [tool.pixi.dependencies] the conda ones, channels
conda-forge and the platform this machine builds for unless [tool.pixi.workspace] says otherwise;
other [tool.pixi.*] tables pass through untouched.
"""

from __future__ import annotations

import json
import platform
import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

PROJECT_DIR = "/root/.flyte-nb-pixi"
_BLOCK = re.compile(r"^# /// script\s*$(.*?)^# ///\s*$", re.S | re.M)


def lock_file(script: Path) -> Path:
    """The sidecar lock `pixi lock --script` writes: `<script>.pixi.lock` next to the script."""
    return script.with_name(script.name + ".pixi.lock")


def metadata(script: Path) -> dict[str, Any]:
    """The script's PEP 723 block as TOML ({} without one); a clear error when it is not valid TOML."""
    block = _BLOCK.search(script.read_text(encoding="utf-8"))
    if not block:
        return {}
    body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in block.group(1).splitlines())
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"from_pixi_script({str(script)!r}): the `# /// script` block is not valid TOML: "
                         f"{error}") from None


def _platform() -> str:
    return "linux-aarch64" if platform.machine().lower() in ("aarch64", "arm64") else "linux-64"


def _pypi(requirement: str) -> tuple[str, Any]:
    parsed = Requirement(requirement)
    version = str(parsed.specifier) or "*"
    if parsed.extras:
        return parsed.name, {"version": version, "extras": sorted(parsed.extras)}
    return parsed.name, version


def manifest_tables(meta: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """The manifest's tables, in order: workspace, dependencies, pypi-dependencies, then the rest."""
    pixi = dict(meta.get("tool", {}).get("pixi", {}))
    workspace = {"name": name, "channels": ["conda-forge"], "platforms": [_platform()],
                 **pixi.pop("workspace", {})}
    conda = dict(pixi.pop("dependencies", {}))
    if meta.get("requires-python") and "python" not in conda:
        conda = {"python": meta["requires-python"], **conda}
    pypi = dict(_pypi(r) for r in meta.get("dependencies", []))
    pypi.update(pixi.pop("pypi-dependencies", {}))
    return {"workspace": workspace, "dependencies": conda, "pypi-dependencies": pypi, **pixi}


def _value(value: Any) -> str:
    """A TOML value: strings, numbers and booleans as JSON spells them, lists and inline tables."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value)


def render_manifest(tables: dict[str, dict[str, Any]]) -> str:
    """TOML text of the manifest (nested tables written inline, which TOML allows)."""
    lines: list[str] = []
    for table, entries in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{json.dumps(key)} = {_value(value)}" for key, value in entries.items()]
        lines.append("")
    return "\n".join(lines)


def install_lines(environment: str, extra_args: str | None, locked: bool) -> tuple[str, str]:
    """(RUN command, ENV line) that install the manifest copied to PROJECT_DIR; the command fails with one
    clear line when the base has no pixi (flyte_nb never downloads it)."""
    env_dir = f"{PROJECT_DIR}/.pixi/envs/{environment}"
    args = f" --environment {environment}" + (" --locked" if locked else "") + (f" {extra_args}" if extra_args else "")
    missing = ("echo 'from_pixi_script: pixi is not installed in the image (the offline Debian base has none and "
               "flyte_nb never downloads it); for PyPI-only scripts use Image.from_uv_script' >&2; exit 1")
    run = (f"if ! command -v pixi >/dev/null 2>&1; then {missing}; fi && "
           f"pixi install --manifest-path {PROJECT_DIR}/pixi.toml{args}")
    env = f"ENV VIRTUAL_ENV={env_dir} PIXI_PROJECT_MANIFEST={PROJECT_DIR}/pixi.toml PATH={env_dir}/bin:$PATH"
    return run, env
