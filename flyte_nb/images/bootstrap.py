"""The offline base image: Debian bookworm with Python, made without any container registry.

`python -m flyte_nb.images bootstrap` runs debootstrap (minbase + python3, pip, CA certificates)
into a temporary folder and `docker import`s it, labelled with its Python version. Machines
without registry access (and this project's CI) get a base image from Debian's package
mirrors alone; Image.from_debian_base() resolves to it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = "bookworm"
PACKAGES = "python3,python3-pip,python3-venv,ca-certificates"
#: The suite's Python: an image for any other version cannot come from this base.
SUITE_PYTHON = (3, 11)
LABEL_PYTHON = "flyte-nb.python"


def base_image_name(python_version: tuple[int, int] = SUITE_PYTHON) -> str:
    return f"flyte-nb/debian-base:{SUITE}-py{python_version[0]}.{python_version[1]}"


BASE_IMAGE = base_image_name()


class BootstrapError(RuntimeError):
    """The base image could not be made; the message says what to install or start."""


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


def bootstrap(name: str | None = None, *, force: bool = False, mirror: str | None = None,
              log=print) -> str:  # noqa: ANN001
    """Make the base image (idempotent); returns its name."""
    name = name or BASE_IMAGE
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
        command = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root)]
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
    commands.add_parser("status", help="say whether the base image exists")
    args = parser.parse_args(argv)
    try:
        if args.command == "bootstrap":
            bootstrap(args.name, force=args.force, mirror=args.mirror)
        else:
            print(f"{BASE_IMAGE}: {'present' if exists() else 'missing (run: python -m flyte_nb.images bootstrap)'}")
    except BootstrapError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
