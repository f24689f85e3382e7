"""Setting values as code for the real flyte SDK: config/jsonable.to_code with the few spellings that differ.

flyte_nb's models take the SDK's names, so most values print as they are. The differences:
an Image's files (requirements, source files, Dockerfile) are copied into the project and named
relative to it; `from_base(..., name=)` becomes `.clone(name=)`; a RetryStrategy backoff (a
constant delay here) becomes `flyte.Backoff(base=...)`; `flyte.Link` is a protocol in the SDK,
so links use the small `Link` class the export writes into `_links.py`; a plugin config (a
dataclass such as flyteplugins.ray's RayJobConfig, or flyte_nb's stand-in of it) becomes the
plugin class's constructor call, imported from the plugin's module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.cache import Cache
from ..config.image import Image, _name_of
from ..config.jsonable import layer_code, pixi_constructor, to_code
from ..config.links import Link
from ..config.retries import RetryStrategy
from ..config.reuse import ReusePolicy
from ..config.secrets import Secret
from .errors import ExportError

#: The only secret mount path flyte 2.12 accepts (flyte/_secret.py).
SDK_SECRET_MOUNT = "/etc/flyte/secrets"
#: Where copied image files live inside the exported package.
FILES = "files"


#: flyte_nb's stand-ins of plugin modules -> (the SDK plugin's module, its distribution requirement).
_PLUGIN_MODULES = {"flyte_nb.plugins.ray": ("flyteplugins.ray", "flyteplugins-ray>=2.12,<2.13")}


@dataclass(frozen=True)
class Code:
    """A value that is already code: written as it is (e.g. `flyte.Documentation(description=...)`)."""

    text: str


@dataclass
class SdkCode:
    """Writes values as SDK code and remembers what that code needs (files to copy, the Link class,
    the imports of the module being written, the plugins' distributions)."""

    files: dict[str, Path] = field(default_factory=dict)  # name inside files/ -> source on this machine
    dockerfiles: dict[str, str] = field(default_factory=dict)  # name inside files/ -> Dockerfile text
    uses_links: bool = False
    imports: dict[str, None] = field(default_factory=dict)  # of the module being written (cleared per module)
    requirements: dict[str, None] = field(default_factory=dict)  # plugin distributions, for pyproject.toml

    def code(self, value: Any) -> str:
        return to_code(value, "flyte.", self.special)

    def special(self, value: Any) -> str | None:
        if isinstance(value, Code):
            return value.text
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.plugin_config(value)
        if isinstance(value, Image):
            return self.image(value)
        if isinstance(value, tuple) and value and all(isinstance(v, Secret) for v in value):
            items = [self.code(v) for v in value]  # the SDK takes a Secret or a list, not a tuple
            return items[0] if len(items) == 1 else f"[{', '.join(items)}]"
        if isinstance(value, Link):
            self.uses_links = True
            return f"Link(name={value.name!r}, url={value.url!r})"
        if isinstance(value, Secret) and value.mount is not None and str(value.mount) != SDK_SECRET_MOUNT:
            raise ExportError(f"secret {value.ref!r} mounts at {str(value.mount)!r}: the flyte SDK mounts secrets only "
                              f"at {SDK_SECRET_MOUNT} (use mount=pathlib.Path({SDK_SECRET_MOUNT!r}) or as_env_var)")
        if isinstance(value, ReusePolicy):
            for what in ("idle_ttl", "scaledown_ttl"):
                if getattr(value, what).total_seconds() < 30:
                    raise ExportError(f"reusable={value!r}: the flyte SDK needs {what} of at least 30 seconds")
        if isinstance(value, Cache) and not value.uses_default_policies:
            raise ExportError(f"cache={value!r}: cache policies are live objects; export needs them written in code")
        if hasattr(value, "get_link") and hasattr(value, "name"):
            raise ExportError(f"link {value!r} is an object of class {type(value).__name__}, not a flyte.Link; "
                              "export writes only flyte.Link(name, url) links")
        return None

    # ---- plugin configs ------------------------------------------------------------------------
    def plugin_config(self, value: Any) -> str:
        """`RayJobConfig(worker_node_config=[WorkerNodeConfig(...)], ...)`: the fields that differ from
        their defaults, the classes imported from the plugin's module (the SDK's, for flyte_nb's stand-ins)."""
        cls = type(value)
        module, requirement = _PLUGIN_MODULES.get(cls.__module__, (cls.__module__, None))
        if module.startswith("flyte_nb") or module == "__main__" or "<" in cls.__qualname__:
            raise ExportError(f"plugin_config: {cls.__qualname__} (from {cls.__module__}) is not a class of an importable "
                              "plugin module; export writes plugin configs such as flyteplugins.ray.RayJobConfig")
        public = module.rpartition(".")[0] if module.endswith(".task") else module  # flyteplugins.ray.task -> .ray
        if public != module and getattr(importlib.import_module(public), cls.__qualname__, None) is not cls:
            public = module
        self.imports[f"from {public} import {cls.__qualname__}"] = None
        if requirement:
            self.requirements[requirement] = None
        args = []
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if item.default is not dataclasses.MISSING and current == item.default:
                continue
            if item.default_factory is not dataclasses.MISSING and current == item.default_factory():
                continue
            args.append(f"{item.name}={self._constant(cls, item.name, current) or self.code(current)}")
        return f"{cls.__qualname__}({', '.join(args)})"

    @staticmethod
    def _constant(cls: type, field_name: str, value: Any) -> str | None:
        """`AutoscalerOptionsConfig.UpscalingMode.CONSERVATIVE` for upscaling_mode=3: a field whose values are
        the constants of the class's nested class of the field's name in CamelCase, written by name."""
        nested = getattr(cls, "".join(part.title() for part in field_name.split("_")), None)
        if not isinstance(nested, type) or isinstance(value, bool):
            return None
        names = [n for n, v in vars(nested).items() if n.isupper() and type(v) is type(value) and v == value]
        return f"{cls.__qualname__}.{nested.__name__}.{names[0]}" if names else None

    # ---- images ------------------------------------------------------------------------------
    def image(self, image: Image) -> str:
        name = f", name={image.name!r}" if image.name != "default" else ""
        layers = image.layers
        if image.base == "debian" and layers and layers[0].kind == "pixi":
            chain = "flyte." + pixi_constructor(layers[0], image.name, path=lambda f: self.copy(Path(f)))
            layers = layers[1:]
        elif image.base == "debian":
            chain = f"flyte.Image.from_debian_base(python_version={tuple(image.python_version)!r}{name})"
        elif image.base == "dockerfile":
            file = f"{image.name}.Dockerfile"
            self.dockerfiles[file] = image.dockerfile or ""
            chain = (f"flyte.Image.from_dockerfile(HERE / {FILES!r} / {file!r}, registry='localhost:30000', "
                     f"name={image.name!r})")
        else:
            chain = f"flyte.Image.from_base({image.base!r})"
            if image.name != _name_of(image.base):
                chain += f".clone(name={image.name!r})"
        for layer in layers:
            chain += self.layer(layer)
        return chain

    def layer(self, layer: Any) -> str:
        code = layer_code(layer, path=lambda source: self.copy(Path(source)))
        if code is None:
            raise ExportError(f"image layer {layer!r} has no flyte SDK counterpart")
        return code

    def copy(self, source: Path) -> str:
        """A file of an image layer, copied into the project's files/; code naming it relative to the module."""
        if not source.exists():
            raise ExportError(f"image file {str(source)!r} is gone; export needs it to copy into the project")
        name = source.name
        if name in self.files and self.files[name] != source:
            name = f"{hashlib.sha256(str(source).encode()).hexdigest()[:8]}-{name}"
        self.files[name] = source
        return f"HERE / {FILES!r} / {name!r}"

    def write_files(self, package: Path) -> None:
        if not (self.files or self.dockerfiles):
            return
        folder = package / FILES
        folder.mkdir(exist_ok=True)
        for name, source in self.files.items():
            if source.is_dir():
                shutil.copytree(source, folder / name, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, folder / name)
        for name, text in self.dockerfiles.items():
            (folder / name).write_text(text)


LINKS_MODULE = '''"""flyte.Link is a protocol in the flyte SDK; this is the Link(name, url) flyte_nb's notebooks used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Link:
    """A named URL shown with a task's runs; url may use {run_name}, {action_name} and {task_name}."""

    name: str
    url: str
    icon_uri: str = ""

    def get_link(self, run_name: str = "", project: str = "", domain: str = "", context: Any = None,
                 parent_action_name: str = "", action_name: str = "", pod_name: str = "", **kwargs: Any) -> str:
        return self.url.format(run_name=run_name, action_name=action_name, task_name=kwargs.get("task_name", ""))
'''
