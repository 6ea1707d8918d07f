"""``python -m foundry_imagegen.emulator``: run the emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import sys

from ._serve import main

if __name__ == "__main__":
    sys.exit(main())
