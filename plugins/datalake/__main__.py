"""`python -m datalake ...`: the `datalake` command without its console script."""

import sys

from datalake.cli import main

sys.exit(main())
