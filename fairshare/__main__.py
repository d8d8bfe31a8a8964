"""``python -m fairshare``: the same as the ``fairshare`` command."""

import sys

from .cli import main

sys.exit(main())
