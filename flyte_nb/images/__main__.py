"""`python -m flyte_nb.images bootstrap|status`."""

import sys

from .bootstrap import main

sys.exit(main())
