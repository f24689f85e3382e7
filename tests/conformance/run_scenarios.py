"""Run one file's scenarios under one implementation and write their outcomes as JSON.

    python run_scenarios.py sdk|nb SCENARIOS.json OUTCOMES.json

A standalone script (it imports nothing from the tests), because it runs under two pythons: the
real SDK's side venv ("sdk") and flyte_nb's venv with the compat stand-in installed ("nb").
Each scenario gets its own namespace, its own try/except and an alarm-based timeout; whatever
it prints is captured, so neither stdout nor stderr can break the JSON, which goes to a file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
from typing import Any


class ScenarioTimeout(Exception):
    """A scenario ran longer than its timeout (raised from SIGALRM into the scenario's code)."""


class NotPlainData(TypeError):
    """`result` holds something other than str/int/float/bool/None/list/tuple/dict."""


def plain(value: Any) -> Any:
    """`result` as JSON that keeps what JSON alone would blur: a tuple is not a list, dict keys keep their type."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [plain(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: plain(v) for k, v in value.items()}}
        return {"__items__": [[plain(k), plain(v)] for k, v in value.items()]}
    raise NotPlainData(f"result holds a {type(value).__module__}.{type(value).__qualname__}: {value!r:.200}")


def _on_alarm(signum: int, frame: Any) -> None:
    raise ScenarioTimeout("scenario timed out")


def prepare(impl: str) -> Any:
    """Make `import flyte` give the implementation under test; returns the per-scenario reset hook."""
    if impl == "sdk":
        import flyte  # a broken side venv must fail the run, not make every scenario "raise" alike on both sides

        assert flyte.version().startswith("2.12"), f"the SDK side runs flyte {flyte.version()}, not 2.12"
        return lambda runner: None
    import flyte_nb
    import flyte_nb.compat

    flyte_nb.compat.install()
    assert flyte_nb.compat.installed(), "import flyte does not give flyte_nb's stand-in"

    def reset(runner: str) -> None:
        """A fresh registry and the scenario's runner (flyte.init() inside a scenario then keeps it)."""
        flyte_nb.registry().clear()
        os.environ["FLYTE_NB_RUNNER"] = runner  # a bare flyte.init() in the scenario keeps the runner
        flyte_nb.init(runner=runner, quiet=True)

    return reset


def run_one(code: str, timeout: float) -> dict[str, Any]:
    """One scenario: its `result` as plain data, or the exception it raised (class name, MRO names, text)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    out = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile("import flyte\n" + code, "<scenario>", "exec"), namespace)
        signal.setitimer(signal.ITIMER_REAL, 0)
        if "result" not in namespace:
            return {"bad": "the scenario assigned no `result`", "output": out.getvalue()[-2000:]}
        return {"result": plain(namespace["result"]), "output": out.getvalue()[-2000:]}
    except NotPlainData as error:
        return {"bad": str(error), "output": out.getvalue()[-2000:]}
    except ScenarioTimeout:  # a bad outcome, not an exception to compare: two timeouts must not "conform"
        return {"bad": f"timed out after {timeout}s", "output": out.getvalue()[-2000:]}
    except BaseException as error:  # noqa: BLE001 - a scenario's exception is its outcome
        signal.setitimer(signal.ITIMER_REAL, 0)
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"error": {"type": type(error).__name__, "mro": [c.__name__ for c in type(error).__mro__],
                          "message": str(error)[:2000]}, "output": out.getvalue()[-2000:]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(impl: str, scenarios_path: str, outcomes_path: str) -> None:
    with open(scenarios_path, encoding="utf-8") as f:
        scenarios = json.load(f)
    signal.signal(signal.SIGALRM, _on_alarm)
    reset = prepare(impl)
    outcomes: dict[str, Any] = {}
    for scenario in scenarios:
        reset(scenario["runner"])
        outcomes[scenario["id"]] = run_one(scenario["code"], scenario["timeout"])
        with open(outcomes_path, "w", encoding="utf-8") as f:  # written each time: a crash keeps the ones done
            json.dump(outcomes, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
