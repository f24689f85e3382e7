"""The offline base images: Debian (bookworm: Python 3.11, trixie: 3.13) made without any container registry.

`python -m flyte_nb.images bootstrap [--suite trixie]` runs debootstrap (minbase + python3, pip, CA
certificates) into a temporary folder and `docker import`s it, labelled with its Python version. Machines
without registry access (and this project's CI) get a base image from Debian's package mirrors alone;
Image.from_debian_base(python_version=...) resolves to the suite with that Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config.image import DEBIAN_SUITES, debian_base_name

SUITE = "bookworm"
PACKAGES = "python3,python3-pip,python3-venv,ca-certificates"
#: The default suite's Python (CI's kernel): images of another version come from another suite's base.
SUITE_PYTHON = DEBIAN_SUITES[SUITE]
LABEL_PYTHON = "flyte-nb.python"


class BootstrapError(RuntimeError):
    """The base image could not be made; the message says what to install or start."""


def suites_text() -> str:
    return ", ".join(f"{suite} has {v[0]}.{v[1]}" for suite, v in DEBIAN_SUITES.items())


def suite_for(python_version: tuple[int, int]) -> str:
    """The Debian suite whose Python is this version; BootstrapError naming the suites when none is."""
    for suite, version in DEBIAN_SUITES.items():
        if tuple(python_version) == version:
            return suite
    raise BootstrapError(f"no Debian suite has Python {python_version[0]}.{python_version[1]} ({suites_text()})")


def base_image_name(python_version: tuple[int, int] = SUITE_PYTHON) -> str:
    name = debian_base_name(python_version)
    if name is None:
        raise BootstrapError(f"no Debian suite has Python {python_version[0]}.{python_version[1]} ({suites_text()})")
    return name


BASE_IMAGE = base_image_name()


def _client():  # noqa: ANN202 - docker-py is imported lazily
    from ..runners.docker import connect

    try:
        return connect()
    except Exception as error:  # noqa: BLE001
        raise BootstrapError(str(error)) from None


def exists(name: str = BASE_IMAGE) -> bool:
    import docker.errors

    try:
        _client().images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def rootfs_python(root: Path) -> tuple[int, int]:
    """The Python version debootstrap installed, read from the rootfs (no chroot needed)."""
    candidates = sorted(p.name for p in (root / "usr" / "bin").glob("python3.*") if re.fullmatch(r"python3\.\d+", p.name))
    if not candidates:
        raise BootstrapError(f"debootstrap produced no python3 in {root}/usr/bin")
    major, minor = candidates[-1][len("python"):].split(".")
    return int(major), int(minor)


def bootstrap(name: str | None = None, *, force: bool = False, mirror: str | None = None, suite: str = SUITE,
              log=print) -> str:  # noqa: ANN001
    """Make the base image of `suite` (idempotent); returns its name."""
    if suite not in DEBIAN_SUITES:
        raise BootstrapError(f"--suite {suite!r}: one of {', '.join(DEBIAN_SUITES)}")
    name = name or base_image_name(DEBIAN_SUITES[suite])
    if not force and exists(name):
        log(f"{name} exists; nothing to do (use --force to rebuild)")
        return name
    if shutil.which("debootstrap") is None:
        raise BootstrapError("debootstrap is not installed: apt-get install -y debootstrap")
    if os.geteuid() != 0:
        raise BootstrapError("debootstrap needs root: run this command as root (or with sudo)")
    client = _client()
    with tempfile.TemporaryDirectory(prefix="flyte-nb-rootfs-") as folder:
        root = Path(folder) / "rootfs"
        command = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", suite, str(root)]
        if mirror:
            command.append(mirror)
        log("$ " + " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BootstrapError(f"debootstrap failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        version = rootfs_python(root)
        log(f"rootfs has Python {version[0]}.{version[1]}; importing as {name}")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        repository, _, tag = name.rpartition(":")
        client.api.import_image_from_stream(
            tar.stdout, repository=repository, tag=tag,
            changes=[f'LABEL {LABEL_PYTHON}="{version[0]}.{version[1]}"', "ENV LANG=C.UTF-8",
                     'CMD ["python3"]'],
        )
        if tar.wait() != 0:
            raise BootstrapError("tar of the rootfs failed")
    log(f"made {name}")
    return name


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m flyte_nb.images")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("bootstrap", help="make the offline Debian base image (debootstrap + docker import)")
    make.add_argument("--name", default=None, help=f"image name (default {BASE_IMAGE})")
    make.add_argument("--force", action="store_true", help="rebuild even if it exists")
    make.add_argument("--mirror", default=None, help="Debian mirror URL (default: debootstrap's)")
    make.add_argument("--suite", default=SUITE, choices=sorted(DEBIAN_SUITES),
                      help=f"Debian suite, by the Python it has ({suites_text()}; default {SUITE})")
    commands.add_parser("status", help="say whether the base image exists")
    args = parser.parse_args(argv)
    try:
        if args.command == "bootstrap":
            bootstrap(args.name, force=args.force, mirror=args.mirror, suite=args.suite)
        else:
            print(f"{BASE_IMAGE}: {'present' if exists() else 'missing (run: python -m flyte_nb.images bootstrap)'}")
    except BootstrapError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
