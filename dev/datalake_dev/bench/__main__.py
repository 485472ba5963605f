import sys

from datalake_dev.bench.runner import main

sys.exit(main())
