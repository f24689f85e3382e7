"""`flyte._image`, a private SDK module the SDK's published examples import: DIST_FOLDER, PythonWheels, Image.

The examples build their images on a development build of flyte: `Image.from_debian_base().clone(
addl_layer=PythonWheels(wheel_dir=DIST_FOLDER, package_name="flyte"))`. The layer is honoured (the
package is installed from the folder's wheels); with no flyte wheel there it installs nothing, since every
flyte_nb container has `flyte` (flyte_nb's stand-in) already.
"""

from __future__ import annotations

from pathlib import Path

from flyte_nb.config.image import Image, PythonWheels

#: The SDK's is its source checkout's dist/ folder; here flyte_nb's checkout's (it holds no flyte wheel).
DIST_FOLDER = Path(__file__).resolve().parents[2] / "dist"

__all__ = ["DIST_FOLDER", "Image", "PythonWheels"]
