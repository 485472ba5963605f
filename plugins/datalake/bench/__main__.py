import sys

from datalake.bench.runner import main

sys.exit(main())
