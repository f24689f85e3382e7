"""Session-wide test settings, for tests/ and the nbval notebooks alike.

The task cache and the data dir (secrets, reports) of a test run live in a fresh temporary
folder, so a run never reads what an earlier run cached (notebook outputs would change from
"succeeded" to "cache hit") and never touches the user's own cache. Kernels that nbval
starts inherit these variables.
"""

from __future__ import annotations

import os
import tempfile

_ROOT = tempfile.mkdtemp(prefix="flyte-nb-tests-")
os.environ.setdefault("FLYTE_NB_CACHE_DIR", os.path.join(_ROOT, "cache"))
os.environ.setdefault("FLYTE_NB_DATA_DIR", os.path.join(_ROOT, "data"))
