"""Building Image recipes with docker-py into content-addressed tags, never pulling.

`ensure_image(image)` returns a local reference: the offline base itself when there are no
layers, else `flyte-nb/<name>:<hash>`, built once (one inspect call when it exists). Builds
use the host network and the host CA bundle, stream their log line by line, and a failure names
the layer that broke.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import threading
from pathlib import Path
from typing import Any, Callable

from ..config.image import Image
from ..errors import RunnerUnavailableError
from .bootstrap import LABEL_PYTHON, BootstrapError, base_image_name, suite_for, suites_text
from .dockerfile import BUILD_ARGS, CA_FILE, describe, render
from .dockerignore import IgnoreRules, load
from .pixi import lock_file, manifest_tables, metadata, render_manifest

Log = Callable[[str], None]
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_python_versions: dict[str, tuple[int, int]] = {}
_client: Any = None


class ImageBuildError(RuntimeError):
    """A build failed; the message names the image, the failing layer and the log's end."""


def client() -> Any:
    global _client
    if _client is None:
        from ..runners.docker import connect

        _client = connect()
    return _client


def ca_bundle() -> Path | None:
    """The host's CA bundle: what corporate proxies (and this machine's) need builds to trust."""
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("REQUESTS_CA_BUNDLE"),
                      os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _lock(tag: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(tag, threading.Lock())


def _exists(ref: str) -> dict[str, Any] | None:
    import docker.errors

    try:
        return client().api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None


def base_reference(image: Image) -> str:
    """The local image the recipe starts from; refused (never pulled) when it is not here."""
    if image.base == "debian":
        version = tuple(image.python_version)
        try:
            suite, ref = suite_for(version), base_image_name(version)  # type: ignore[arg-type]
        except BootstrapError:
            raise RunnerUnavailableError(
                f"Image python_version {version[0]}.{version[1]} is not available: the offline Debian base images "
                f"have the Python of their suite ({suites_text()}); use one of those with a kernel of that "
                f"version") from None
        if _exists(ref) is None:
            raise RunnerUnavailableError(f"the base image {ref} is missing: run `python -m flyte_nb.images bootstrap "
                                         f"--suite {suite}`")
        return ref
    if image.base == "dockerfile":
        return ""
    if _exists(image.base) is None:
        raise RunnerUnavailableError(
            f"image {image.base!r} is not on this machine and flyte_nb never pulls: `docker load` it or build it, "
            f"or use Image.from_debian_base()")
    return image.base


def ensure_image(image: Image, *, log: Log | None = None) -> str:
    """A local image reference for the recipe, built if (and only if) it does not exist yet."""
    if image.base == "debian" and not image.layers:
        return base_reference(image)
    tag = image.tag
    if _exists(tag) is not None:
        return tag
    with _lock(tag):
        if _exists(tag) is not None:  # built by a concurrent call meanwhile
            return tag
        _build(image, tag, log or (lambda line: None))
    return tag


def _context(image: Image, dockerfile: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("Dockerfile", dockerfile.encode())
        bundle = ca_bundle()
        add(CA_FILE, bundle.read_bytes() if bundle else b"")
        rules = _ignore_rules(image)
        for index, layer in enumerate(image.layers):
            if layer.kind == "requirements":
                add(f"requirements-{index}.txt", Path(layer.path).read_bytes())
            elif layer.kind == "source_file":
                tar.add(layer.src, arcname=f"source-{index}")
            elif layer.kind == "source_folder":
                tar.add(layer.src, arcname=f"source-{index}", filter=_excluding(rules, f"source-{index}"))
            elif layer.kind == "wheels":
                for wheel, _ in layer.wheels:
                    add(f"wheels-{index}/{wheel}", (Path(layer.wheel_dir) / wheel).read_bytes())
            elif layer.kind == "pixi":
                script = Path(layer.script)
                add(f"pixi-{index}/pixi.toml", render_manifest(manifest_tables(metadata(script), image.name)).encode())
                if lock_file(script).is_file():
                    add(f"pixi-{index}/pixi.lock", lock_file(script).read_bytes())
    buffer.seek(0)
    return buffer


def _ignore_rules(image: Image) -> IgnoreRules | None:
    """The last with_dockerignore file's rules (as the SDK, the last one counts), read now, at build time."""
    paths = [layer.path for layer in image.layers if layer.kind == "dockerignore"]
    try:
        return load(paths[-1]) if paths else None
    except ValueError as error:
        raise ImageBuildError(f"building image {image.tag} failed: {error}") from None


def _excluding(rules: IgnoreRules | None, root: str) -> Callable[[tarfile.TarInfo], tarfile.TarInfo | None]:
    """A tar filter that leaves out what the rules exclude (paths relative to the copied folder).

    A folder is dropped whole only when no `!` line could bring back something inside it."""
    negations = rules is not None and any(keep for keep, _ in rules.rules)

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        relative = info.name[len(root) + 1:]
        if rules is None or not relative or (info.isdir() and negations):
            return info
        return None if rules.excluded(relative) else info

    return keep


def _build(image: Image, tag: str, log: Log) -> None:
    if image.base == "dockerfile":
        dockerfile, owner = image.dockerfile or "", []
    else:
        dockerfile, owner = render(image, base_reference(image))
    build_args = {k: os.environ[k] for k in BUILD_ARGS if os.environ.get(k)}
    log(f"building {tag} ({len(image.layers)} layer(s))\n")
    lines: list[str] = []
    step = -1
    error: str | None = None
    stream = client().api.build(fileobj=_context(image, dockerfile), custom_context=True, tag=tag, rm=True,
                                forcerm=True, network_mode="host", buildargs=build_args, decode=True, pull=False,
                                labels={"flyte-nb.digest": image.digest,
                                        LABEL_PYTHON: f"{image.python_version[0]}.{image.python_version[1]}"})
    for chunk in stream:
        text = chunk.get("stream") or chunk.get("status") or ""
        if "error" in chunk:
            error = chunk.get("error") or json.dumps(chunk.get("errorDetail"))
            text = error + "\n"
        match = re.match(r"Step (\d+)/\d+", text)
        if match:
            step = int(match.group(1)) - 1
        for line in text.splitlines(keepends=True):
            lines.append(line)
            log(line)
    if error is not None or _exists(tag) is None:
        layer_index = owner[step] if 0 <= step < len(owner) else -1
        where = (f"layer {layer_index + 1}/{len(image.layers)}: {describe(image.layers[layer_index])}"
                 if layer_index >= 0 else "the base or Dockerfile")
        tail = "".join(lines[-20:])
        raise ImageBuildError(f"building image {tag} failed at {where}\n{tail}")


def image_python_version(ref: str) -> tuple[int, int]:
    """The Python minor version of a local image: its label, else probed once in a throwaway container."""
    if ref in _python_versions:
        return _python_versions[ref]
    info = _exists(ref) or {}
    label = ((info.get("Config") or {}).get("Labels") or {}).get(LABEL_PYTHON)
    if label:
        major, minor = label.split(".")[:2]
        version = (int(major), int(minor))
    else:
        out = client().containers.run(ref, ["python3", "-c", "import sys; print(*sys.version_info[:2])"],
                                      network_mode="none", remove=True)
        major, minor = out.decode().split()
        version = (int(major), int(minor))
    _python_versions[ref] = version
    return version
