"""Run by the REAL flyte SDK's venv: run tests/data/sdk_pipeline in flyte's local mode, print JSON outputs."""

import json
import sys

import flyte

sys.path.insert(0, sys.argv[1])
from sdk_pipeline import workflow  # noqa: E402

flyte.init()
run = flyte.with_runcontext(mode="local").run(workflow.stats, words=["Flyte", "runs", "anywhere"])
print("SDK-JSON " + json.dumps({"flyte": flyte.version(), "outputs": list(run.outputs())}))
