"""JupyterLab for the browser test: galata's test settings, bound to loopback on a fixed port.

Never use this configuration elsewhere: it has no token (loopback only) and exposes the
application object to the page (galata drives it).
"""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object Jupyter passes in

c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = 8899  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.IdentityProvider.token = ""  # noqa: F821
