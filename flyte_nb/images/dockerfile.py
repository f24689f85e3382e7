"""Dockerfile text for an Image recipe, one instruction group per layer (pure; no Docker needed).

Build-time inputs that are not part of the recipe (the host CA bundle, proxies, package
indexes) enter as build args and a context file, so they never change the image's content
hash. The classic builder that docker-py drives has no secret mounts: the CA bundle (public
certificates, not a secret) stays in a lower layer although each RUN deletes its copy.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ..config.image import Image
from .pixi import PROJECT_DIR, install_lines, lock_file

CA_FILE = "flyte-nb-ca.crt"  # in the build context; copied to /tmp and removed in each RUN using it
BUILD_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
              "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")


def _with_ca(command: str) -> str:
    """Run `command` trusting the host's CA bundle (corporate proxies), leaving no trace in the layer."""
    return (f"if [ -f /tmp/{CA_FILE} ]; then export PIP_CERT=/tmp/{CA_FILE} SSL_CERT_FILE=/tmp/{CA_FILE} "
            f"REQUESTS_CA_BUNDLE=/tmp/{CA_FILE}; fi && {command}")


def describe(layer: Any) -> str:
    """One line naming a layer, for build errors and logs."""
    if layer.kind in ("pip", "apt"):
        return f"{layer.kind} install {' '.join(layer.packages)}"
    if layer.kind == "requirements":
        return f"pip install -r {layer.path}"
    if layer.kind == "env":
        return "env " + " ".join(k for k, _ in layer.env_vars)
    if layer.kind == "commands":
        return "run " + "; ".join(layer.commands)
    if layer.kind == "workdir":
        return f"workdir {layer.path}"
    if layer.kind == "dockerignore":
        return f"dockerignore {layer.path}"
    if layer.kind == "pixi":
        return f"pixi install {layer.script} (environment {layer.environment})"
    if layer.kind == "wheels":
        return f"pip install {layer.package_name} from the wheels in {layer.wheel_dir}" if layer.wheels else \
            f"{layer.package_name}: flyte_nb's stand-in, in every container already"
    return f"copy {layer.src} -> {layer.dst}"


def layer_lines(layer: Any, index: int) -> list[str]:
    """Dockerfile instructions of one layer; context files are named by the layer's index."""
    ca_copy = f"COPY {CA_FILE} /tmp/{CA_FILE}"
    cleanup = f" ; status=$? ; rm -f /tmp/{CA_FILE} ; exit $status"
    if layer.kind == "pip":
        args = ["python3", "-m", "pip", "install", "--no-cache-dir", "--break-system-packages"]
        if layer.index_url:
            args += ["--index-url", layer.index_url]
        for url in layer.extra_index_urls:
            args += ["--extra-index-url", url]
        if layer.pre:
            args.append("--pre")
        command = " ".join(shlex.quote(a) for a in [*args, *layer.packages])
        if layer.extra_args:
            command += " " + layer.extra_args
        return [ca_copy, f"RUN {_with_ca(command)}{cleanup}"]
    if layer.kind == "apt":
        packages = " ".join(shlex.quote(p) for p in layer.packages)
        command = (f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                   f"--no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*")
        return [ca_copy, f"RUN {_with_ca(command)}{cleanup}"]
    if layer.kind == "requirements":
        name = f"requirements-{index}.txt"
        command = (f"python3 -m pip install --no-cache-dir --break-system-packages -r /tmp/{name} "
                   f"&& rm -f /tmp/{name}")
        return [ca_copy, f"COPY {name} /tmp/{name}", f"RUN {_with_ca(command)}{cleanup}"]
    if layer.kind == "env":
        return ["ENV " + " ".join(f"{k}={shlex.quote(v)}" for k, v in layer.env_vars)]
    if layer.kind == "commands":
        return [f"RUN {command}" for command in layer.commands]
    if layer.kind == "workdir":
        return [f"WORKDIR {layer.path}"]
    if layer.kind == "dockerignore":  # no instruction: it filters what the source layers put in the context
        return []
    if layer.kind == "pixi":
        run, env = install_lines(layer.environment, layer.extra_args, locked=_locked(layer.script))
        return [f"COPY pixi-{index} {PROJECT_DIR}", ca_copy, f"RUN {_with_ca(run)}{cleanup}", env]
    if layer.kind == "wheels":  # as the SDK: dependencies from the index, the package from these wheels
        if not layer.wheels:
            return []
        folder = f"/tmp/wheels-{index}"
        command = (f"python3 -m pip install --no-cache-dir --break-system-packages --find-links {folder} "
                   f"{shlex.quote(layer.package_name)} && python3 -m pip install --no-cache-dir "
                   f"--break-system-packages --no-deps --no-index --force-reinstall --find-links {folder} "
                   f"{shlex.quote(layer.package_name)} && rm -rf {folder}")
        return [ca_copy, f"COPY wheels-{index} {folder}", f"RUN {_with_ca(command)}{cleanup}"]
    return [f"COPY source-{index} {layer.dst}"]


def _locked(script: str) -> bool:
    """A `<script>.pixi.lock` next to the script: install exactly it (`--locked`), as the SDK does."""
    return lock_file(Path(script)).is_file()


def render(image: Image, base_ref: str) -> tuple[str, list[int]]:
    """(Dockerfile, owner) where owner[i] is the layer index of the Dockerfile's i-th instruction (-1: base)."""
    lines = [f"FROM {base_ref}", *(f"ARG {a}" for a in BUILD_ARGS)]
    owner = [-1] * len(lines)
    for index, layer in enumerate(image.layers):
        instructions = layer_lines(layer, index)
        lines += instructions
        owner += [index] * len(instructions)
    return "\n".join(lines) + "\n", owner
