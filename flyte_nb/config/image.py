"""Image: the immutable recipe of a task's container image, named by a hash of its content.

Every builder method returns a new Image, so an environment's image can be shared and
never changes under it. The tag `flyte-nb/<name>:<hash>` is a hash of the base, the Python
version and every layer (file layers by their content, not their path), so an unchanged
recipe maps to an image that is already built. Building is the runner's job.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

import pydantic
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .errors import show
from .model import ENV_NAME, Setting

_NAME = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sha256_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for item in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(item.relative_to(root)).encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


class PipPackages(Setting):
    kind: Literal["pip"] = "pip"
    packages: tuple[str, ...]
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    pre: bool = False
    extra_args: str | None = None

    @pydantic.field_validator("packages")
    @classmethod
    def _packages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("with_pip_packages needs at least one package")
        from packaging.requirements import InvalidRequirement, Requirement

        for package in value:
            try:
                Requirement(package)
            except InvalidRequirement:
                raise ValueError(f"not a pip requirement: {package!r}") from None
        return value


class AptPackages(Setting):
    kind: Literal["apt"] = "apt"
    packages: tuple[str, ...]

    @pydantic.field_validator("packages")
    @classmethod
    def _packages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("with_apt_packages needs at least one package")
        for package in value:
            if not re.match(r"^[a-z0-9][a-z0-9+.\-]*(=[A-Za-z0-9.+:~\-]+)?$", package):
                raise ValueError(f"not a Debian package name: {package!r}")
        return value


class Requirements(Setting):
    kind: Literal["requirements"] = "requirements"
    path: str
    sha256: str


class EnvVars(Setting):
    kind: Literal["env"] = "env"
    env_vars: tuple[tuple[str, str], ...]


class Commands(Setting):
    kind: Literal["commands"] = "commands"
    commands: tuple[str, ...] = pydantic.Field(min_length=1)


class Workdir(Setting):
    kind: Literal["workdir"] = "workdir"
    path: str = pydantic.Field(pattern=r"^/")


class SourceFile(Setting):
    kind: Literal["source_file"] = "source_file"
    src: str
    dst: str
    sha256: str


class SourceFolder(Setting):
    kind: Literal["source_folder"] = "source_folder"
    src: str
    dst: str
    sha256: str


class DockerIgnore(Setting):
    """with_dockerignore(path): .dockerignore patterns that leave files out of source-folder copies.

    The file is read at build time, as the SDK does (an image definition also runs where the file is
    absent); its content hash (empty when missing) is part of the recipe only through this layer.
    """

    kind: Literal["dockerignore"] = "dockerignore"
    path: str
    sha256: str


class PixiScript(Setting):
    """from_pixi_script(...): a PEP 723 script's conda and PyPI packages, installed with `pixi install`."""

    kind: Literal["pixi"] = "pixi"
    script: str
    sha256: str
    environment: str = "default"
    extra_args: str | None = None


class PythonWheels(Setting):
    """The SDK's PythonWheels(wheel_dir=, package_name=) layer (flyte._image): install `package_name` from the
    wheels in `wheel_dir` (its dependencies from the index), as the SDK's image builder does.

    With no wheel of the package there and `package_name="flyte"` (the SDK's own examples build their images
    from the SDK's dist folder), the layer installs nothing: every flyte_nb container already has `flyte`,
    flyte_nb's stand-in. Any other package without a wheel is refused when the layer is made.
    """

    kind: Literal["wheels"] = "wheels"
    wheel_dir: str
    package_name: str
    #: (file name, sha256) of each wheel of the package: the recipe's hash follows their content.
    wheels: tuple[tuple[str, str], ...] = ()

    @pydantic.model_validator(mode="before")
    @classmethod
    def _find(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "wheels" in data or "wheel_dir" not in data or "package_name" not in data:
            return data
        folder, package = Path(str(data["wheel_dir"])), str(data["package_name"])
        stem = re.sub(r"[-_.]+", "_", package).lower()
        found = sorted(p for p in folder.glob("*.whl") if p.name.lower().split("-")[0].replace(".", "_") == stem) \
            if folder.is_dir() else []
        if not found and package != "flyte":
            raise ValueError(f"PythonWheels(wheel_dir={str(folder)!r}, package_name={package!r}): no wheel of "
                             f"{package!r} (a {stem}-*.whl file) in that folder")
        return {**data, "wheel_dir": str(folder.resolve()), "wheels": tuple((p.name, _sha256_file(p)) for p in found)}


Layer = Annotated[
    Union[PipPackages, AptPackages, Requirements, EnvVars, Commands, Workdir, SourceFile, SourceFolder,
          DockerIgnore, PixiScript, PythonWheels],
    pydantic.Field(discriminator="kind"),
]


#: The Debian suites whose Python an offline base image can have (debootstrap of the suite): suite -> Python.
DEBIAN_SUITES: dict[str, tuple[int, int]] = {"bookworm": (3, 11), "trixie": (3, 13)}


def debian_base_name(python_version: tuple[int, int]) -> str | None:
    """The offline base image of the suite with this Python, None when no suite has it."""
    for suite, version in DEBIAN_SUITES.items():
        if tuple(python_version) == version:
            return f"flyte-nb/debian-base:{suite}-py{version[0]}.{version[1]}"
    return None


def _current_python() -> tuple[int, int]:
    return (sys.version_info.major, sys.version_info.minor)


#: Digests of images by identity (a cache key and every call read it; model_dump + json cost tens of us).
_DIGESTS: dict[int, tuple["Image", str]] = {}


class Image(Setting):
    """flyte.Image: a base plus ordered layers; `tag` is content-addressed."""

    parameter: ClassVar[str | None] = "image"

    name: str = "default"
    base: str = "debian"  # "debian": the offline Debian base of the suite with its Python; else an image reference
    python_version: tuple[int, int] = pydantic.Field(default_factory=_current_python)
    dockerfile: str | None = None  # content of a Dockerfile (from_dockerfile)
    layers: tuple[Layer, ...] = ()

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"name must be lowercase letters, digits and '.', '_', '-' separators, got {value!r}")
        return value

    @pydantic.field_validator("python_version", mode="before")
    @classmethod
    def _python(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.split(".")
            if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
                raise ValueError(f"python_version must look like '3.11', got {value!r}")
            value = (int(parts[0]), int(parts[1]))
        if isinstance(value, (tuple, list)) and len(value) >= 2:
            value = tuple(value[:2])
            if value[0] != 3 or value[1] < 9:
                raise ValueError(f"python_version must be 3.9 or newer, got {value!r}")
        return value

    # ---- constructors ------------------------------------------------------------------
    @classmethod
    def from_debian_base(
        cls, python_version: tuple[int, int] | str | None = None, name: str | None = None, **_: Any
    ) -> "Image":
        """The offline Debian bookworm base (`python -m flyte_nb.images bootstrap` makes it)."""
        return cls(name=name or "default", base="debian", python_version=python_version or _current_python())

    @classmethod
    def from_base(cls, image_uri: str, name: str | None = None) -> "Image":
        """Any local image reference as the base (it is never pulled)."""
        if not isinstance(image_uri, str) or not image_uri.strip() or image_uri == "debian":
            raise ValueError(f"from_base needs an image reference like 'python:3.11-slim', got {image_uri!r}")
        return cls(name=name or _name_of(image_uri), base=image_uri)

    @classmethod
    def from_dockerfile(cls, file: str | Path, name: str, registry: str | None = None) -> "Image":
        """An image built from a Dockerfile; its content is part of the hash."""
        path = Path(file)
        if not path.is_file():
            raise ValueError(f"from_dockerfile: no file {str(path)!r}")
        return cls(name=name, base="dockerfile", dockerfile=path.read_text())

    @classmethod
    def from_uv_script(cls, script: str | Path, name: str | None = None, python_version: Any = None,
                       **_: Any) -> "Image":
        """The Debian base plus the dependencies of a PEP 723 script block, on a Python its requires-python allows."""
        path = Path(script)
        if not path.is_file():
            raise ValueError(f"from_uv_script: no file {str(path)!r}")
        block = _pep723(path.read_text())
        deps = [str(d) for d in block.get("dependencies", [])]
        python = _python_for(block.get("requires-python"), python_version, path)
        image = cls.from_debian_base(python_version=python, name=name or _name_of(path.stem))
        return image.with_pip_packages(*deps) if deps else image

    @classmethod
    def from_pixi_script(cls, script: str | Path, *, name: str, registry: str | None = None,
                         registry_secret: Any = None, environment: str = "default", extra_args: str | None = None,
                         platform: Any = None, secret_mounts: Any = None) -> "Image":
        """The Debian base plus a pixi environment made from a script's PEP 723 block (conda packages under
        [tool.pixi.dependencies], PyPI ones under dependencies); the SDK's keywords, registry ones unused here.
        The pixi environment's bin/ leads PATH, so the task runs on its Python."""
        path = Path(script)
        if not path.is_file():
            raise ValueError(f"from_pixi_script: no file {str(path)!r}")
        if not isinstance(environment, str) or not _NAME.match(environment):
            raise ValueError(f"from_pixi_script: environment must be a pixi environment name, got "
                             f"{show(environment)}")
        if extra_args is not None and not isinstance(extra_args, str):
            raise ValueError(f"from_pixi_script: extra_args must be a str, got {show(extra_args)}")
        lock = path.with_name(path.name + ".pixi.lock")  # `pixi lock --script` output: part of the recipe
        digest = hashlib.sha256(path.read_bytes() + b"\0" + (lock.read_bytes() if lock.is_file() else b"")).hexdigest()
        layer = PixiScript(script=str(path.resolve()), sha256=digest, environment=environment,
                           extra_args=extra_args)
        return cls.from_debian_base(name=name)._with(layer)

    @classmethod
    def from_ref_name(cls, name: str = "default") -> "Image":
        """An image named in the SDK's config; here the name is a local Docker image reference."""
        return cls.from_base(name, name=_name_of(name))

    @property
    def base_image(self) -> str | None:
        """The image reference this one builds on (the local Debian base for from_debian_base; None for a
        Dockerfile)."""
        if self.base == "dockerfile":
            return None
        if self.base == "debian":
            return debian_base_name(self.python_version) or \
                f"flyte-nb/debian-base:bookworm-py{self.python_version[0]}.{self.python_version[1]}"
        return self.base

    # ---- layers ------------------------------------------------------------------------
    def _with(self, layer: Any) -> "Image":
        return Image(
            name=self.name, base=self.base, python_version=self.python_version,
            dockerfile=self.dockerfile, layers=(*self.layers, layer),
        )

    def clone(self, name: str | None = None, addl_layer: Any = None, **_: Any) -> "Image":
        """A copy under another name, with `addl_layer` (a layer object, e.g. flyte._image.PythonWheels) on top."""
        image = self.model_copy(update={"name": name}) if name else self
        if addl_layer is None:
            return image
        if not isinstance(addl_layer, PythonWheels):
            raise TypeError(f"Image.clone(addl_layer={addl_layer!r}): flyte_nb takes a PythonWheels layer here; "
                            f"use the with_* methods for the other layers")
        return image._with(addl_layer)

    def with_pip_packages(
        self, *packages: str, index_url: str | None = None, extra_index_urls: Any = (), pre: bool = False,
        extra_args: str | None = None,
    ) -> "Image":
        urls = (extra_index_urls,) if isinstance(extra_index_urls, str) else tuple(extra_index_urls or ())
        return self._with(PipPackages(packages=packages, index_url=index_url, extra_index_urls=urls, pre=pre,
                                      extra_args=extra_args))

    def with_apt_packages(self, *packages: str) -> "Image":
        return self._with(AptPackages(packages=packages))

    def with_requirements(self, file: str | Path) -> "Image":
        path = Path(file)
        if not path.is_file():
            raise ValueError(f"with_requirements: no file {str(path)!r}")
        return self._with(Requirements(path=str(path.resolve()), sha256=_sha256_file(path)))

    def with_env_vars(self, env_vars: dict[str, str]) -> "Image":
        for key, value in env_vars.items():
            if not ENV_NAME.match(key) or not isinstance(value, str):
                raise ValueError(f"with_env_vars needs NAME: str pairs, got {key!r}: {value!r}")
        return self._with(EnvVars(env_vars=tuple(sorted(env_vars.items()))))

    def with_commands(self, commands: list[str] | tuple[str, ...]) -> "Image":
        if isinstance(commands, str):
            commands = [commands]
        return self._with(Commands(commands=tuple(commands)))

    def with_workdir(self, workdir: str) -> "Image":
        return self._with(Workdir(path=workdir))

    def with_source_file(self, src: str | Path, dst: str = ".") -> "Image":
        path = Path(src)
        if not path.is_file():
            raise ValueError(f"with_source_file: no file {str(path)!r}")
        return self._with(SourceFile(src=str(path.resolve()), dst=dst, sha256=_sha256_file(path)))

    def with_source_folder(self, src: str | Path, dst: str = ".") -> "Image":
        path = Path(src)
        if not path.is_dir():
            raise ValueError(f"with_source_folder: no folder {str(path)!r}")
        return self._with(SourceFolder(src=str(path.resolve()), dst=dst, sha256=_sha256_tree(path)))

    def with_dockerignore(self, path: str | Path) -> "Image":
        """Leave the files its patterns match out of with_source_folder copies (whatever the layer order).
        Not checked here: the SDK reads it at build time, and so does the builder."""
        if not isinstance(path, (str, Path)) or not str(path).strip():
            raise ValueError(f"with_dockerignore needs a path to a .dockerignore file, got {show(path)}")
        file = Path(path)
        digest = _sha256_file(file) if file.is_file() else ""
        return self._with(DockerIgnore(path=str(file.resolve()), sha256=digest))

    def with_uv_project(
        self, pyproject_file: str | Path, uvlock: str | Path | None = None, index_url: str | None = None,
        extra_index_urls: Any = None, pre: bool = False, extra_args: str | None = None, secret_mounts: Any = None,
        project_install_mode: Literal["dependencies_only", "install_project"] = "dependencies_only",
    ) -> "Image":
        """The dependencies of a pyproject.toml's [project] table (and, with install_project, the project itself,
        copied to /root/<folder> and pip-installed). The image is built with pip, so a uv.lock's pins are not
        applied: pin versions in the dependencies when they matter."""
        path = Path(pyproject_file)
        if not path.is_file():
            raise ValueError(f"with_uv_project: no file {str(path)!r}")
        if project_install_mode not in ("dependencies_only", "install_project"):
            raise ValueError(f"with_uv_project: project_install_mode must be 'dependencies_only' or "
                             f"'install_project', got {show(project_install_mode)}")
        if uvlock is not None and not Path(uvlock).is_file():
            raise ValueError(f"with_uv_project: no uv.lock {str(uvlock)!r}")
        image, deps = self, _project_dependencies(path)
        if deps:
            image = image.with_pip_packages(*deps, index_url=index_url, extra_index_urls=extra_index_urls, pre=pre,
                                            extra_args=extra_args)
        if project_install_mode == "install_project":
            target = f"/root/{path.resolve().parent.name}"
            image = image.with_source_folder(path.parent, target).with_commands(
                [f"python3 -m pip install --no-cache-dir --break-system-packages --no-deps {target}"])
        return image

    # ---- identity ----------------------------------------------------------------------
    @property
    def digest(self) -> str:
        """sha256 of the recipe: base, python version and every layer's content; once per image (frozen)."""
        known = _DIGESTS.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        recipe = self.model_dump(mode="json", exclude={"name"})
        digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
        if len(_DIGESTS) >= 1024:
            _DIGESTS.clear()
        _DIGESTS[id(self)] = (self, digest)  # the image kept with it: its id is not reused meanwhile
        return digest

    @property
    def tag(self) -> str:
        return f"flyte-nb/{self.name}:{self.digest[:16]}"

    @property
    def uri(self) -> str:
        return self.tag

    def __hash__(self) -> int:
        return hash(self.digest)


def _name_of(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.rsplit("/", 1)[-1].split(":")[0].lower()).strip("-")
    return cleaned or "image"


def _pep723(text: str) -> dict[str, Any]:
    """The PEP 723 `# /// script` block of a script as a dict ({} when it has none)."""
    block = re.search(r"^# /// script\s*$(.*?)^# ///\s*$", text, re.S | re.M)
    if not block:
        return {}
    body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in block.group(1).splitlines())
    found: dict[str, Any] = {}
    if match := re.search(r"dependencies\s*=\s*\[(.*?)\]", body, re.S):
        found["dependencies"] = re.findall(r"[\"']([^\"']+)[\"']", match.group(1))
    if match := re.search(r"^requires-python\s*=\s*[\"']([^\"']*)[\"']", body, re.M):
        found["requires-python"] = match.group(1)
    return found


def _project_dependencies(path: Path) -> list[str]:
    """[project].dependencies of a pyproject.toml (PEP 621), as pip requirements."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        raise ValueError("with_uv_project needs Python 3.11+ to read pyproject.toml (tomllib)") from None
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"with_uv_project: {str(path)!r} is not valid TOML: {error}") from None
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ValueError(f"with_uv_project: [project].dependencies of {str(path)!r} must be a list of strings")
    return deps


def _python_for(requires: str | None, given: Any, script: Path) -> Any:
    """The image's Python: the one given, else this kernel's, which must satisfy the script's requires-python
    (task inputs and outputs travel pickled, so the image runs the kernel's Python version)."""
    if given is not None or not requires:
        return given
    current = _current_python()
    try:
        allowed = SpecifierSet(requires)
    except InvalidSpecifier:
        raise ValueError(f"from_uv_script({str(script)!r}): requires-python={requires!r} is not a version "
                         "specifier like '>=3.11'") from None
    if f"{current[0]}.{current[1]}" not in allowed:
        raise ValueError(f"from_uv_script({str(script)!r}): the script needs requires-python={requires!r}, but "
                         f"tasks run this kernel's Python {current[0]}.{current[1]}; run the notebook on a Python "
                         "the script allows")
    return current


def normalize_image(value: Any) -> Image:
    """"auto" -> the default Debian base; a str -> Image.from_base(str); an Image as is."""
    if isinstance(value, Image):
        return value
    if value == "auto":
        return Image.from_debian_base()
    if isinstance(value, str) and value.strip():
        if len(value) > 512 or not value.isprintable() or any(c.isspace() for c in value):
            raise ValueError(f"image {show(value)} is not an image reference (printable, no spaces, at most 512 chars)")
        return Image.from_base(value)
    raise ValueError(f"image must be a flyte.Image, an image reference or 'auto', not {value!r}")
