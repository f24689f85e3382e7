"""`python -m flyte_nb export NOTEBOOK.ipynb -o DIR`: run the notebook headless, then export it.

The notebook is executed in a fresh kernel (nbclient) exactly as a user would run it, tasks
included (they run in containers with the notebook's runner), because cells build on earlier
results; then one added cell runs `%flyte_export`, so the CLI and the magic write the same
project from the same registry. The added cell prints one JSON line: where it wrote (project and
package), the entry, its `flyte run` command, and the output the notebook's last top-level call of
the entry task recorded.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .errors import ExportError

MARKER = "FLYTE-NB-EXPORT "


@dataclass(frozen=True)
class NotebookExport:
    project: Path
    package: Path
    entry: str
    run_command: list[str]  # `flyte run --local PACKAGE/MODULE.py TASK --input value`, from the project folder
    entry_output: str | None  # repr of the entry task's last recorded top-level output in the notebook
    settings: dict[str, Any]  # task name -> Resolution.to_json(): the settings in effect in the notebook
    after: tuple[str, ...] = ()  # what each of export_notebook's `after` cells printed

    def to_json(self) -> dict[str, Any]:
        return {"project": str(self.project), "package": str(self.package), "entry": self.entry,
                "run_command": self.run_command, "entry_output": self.entry_output}


def export_cell(directory: Path, entry: str | None, origin: str, package: str | None = None) -> str:
    """The cell added to the notebook: the magic, then the JSON line."""
    options = (f" --origin {json.dumps(origin)}" + (f" --entry {json.dumps(entry)}" if entry else "")
               + (f" --package {json.dumps(package)}" if package else ""))
    return "\n".join([
        f"_flyte_nb_export = get_ipython().run_line_magic('flyte_export', {(shlex.quote(str(directory)) + options)!r})",
        "import json as _json",
        "_runs = [r for r in __import__('flyte_nb').registry().runs",
        "         if r.parent is None and r.task == _flyte_nb_export.entry_task and r.output is not None]",
        "_settings = {n: t.resolve().to_json() for n, t in __import__('flyte_nb').registry().tasks.items()}",
        f"print({MARKER!r} + _json.dumps({{'project': str(_flyte_nb_export.project), "
        "'package': str(_flyte_nb_export.package), 'entry': _flyte_nb_export.entry, "
        "'run_command': list(_flyte_nb_export.commands[0].words), "
        "'entry_output': _runs[-1].output if _runs else None, 'settings': _settings}))",
    ])


def export_notebook(notebook: str | Path, directory: str | Path, *, entry: str | None = None,
                    package: str | None = None, after: Sequence[str] = (), timeout: int = 600) -> NotebookExport:
    """Execute `notebook` in a new kernel (working directory: its folder) and export its registry.

    `after`: cells run in the same kernel once the export is written (the tests make the notebook's
    calls there again, to compare with the flyte CLI's runs of the export); their printed text is kept.
    """
    import nbclient
    import nbformat

    from .layout import check_package

    path = Path(notebook).resolve()
    if not path.is_file():
        raise ExportError(f"no notebook {str(path)!r}")
    if package is not None:
        check_package(package)  # before the notebook runs: a bad name costs nothing and writes nothing
    target = Path(directory).resolve()
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(export_cell(target, entry, path.name, package)))
    added = len(nb.cells) - 1
    nb.cells.extend(nbformat.v4.new_code_cell(cell) for cell in after)
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        raise ExportError(f"{path.name} failed while running it for the export:\n{error}") from None
    texts = ["".join(output.get("text", "") for output in cell.get("outputs", [])) for cell in nb.cells[added:]]
    for line in texts[0].splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER):])
            return NotebookExport(Path(data["project"]), Path(data["package"]), data["entry"], data["run_command"],
                                  data["entry_output"], data["settings"], tuple(texts[1:]))
    raise ExportError(f"the export cell of {path.name} printed nothing; outputs: {nb.cells[added].get('outputs')}")
