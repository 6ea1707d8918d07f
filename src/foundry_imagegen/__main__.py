"""``python -m foundry_imagegen``: the same command line as the ``foundry-imagegen`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
