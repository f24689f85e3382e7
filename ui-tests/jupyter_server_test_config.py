"""JupyterLab for the browser test: galata's test settings, bound to loopback on the port the test picked
(FLYTE_NB_UI_PORT, a free one; 8899 when run by hand).

Never use this configuration elsewhere: it has no token (loopback only) and exposes the
application object to the page (galata drives it).
"""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object Jupyter passes in

c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("FLYTE_NB_UI_PORT", "8899"))  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.IdentityProvider.token = ""  # noqa: F821
