"""Where flyte_nb behaves differently from flyte 2.12.1 on purpose: conformance scenario id -> reason.

Data, not code: tests/conformance/test_conformance.py checks that each listed scenario really
differs (so the list stays true), and docs/sdk-differences.md is generated from it
(`python -m flyte_nb docs`). Everything not listed here behaves as the SDK does.
"""

from __future__ import annotations

DIFFERENCES: dict[str, str] = {
}
