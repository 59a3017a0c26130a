import sys

from arcadia_pipelines.cli.main import main

sys.exit(main())
