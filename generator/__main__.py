"""``python -m generator``: a shim for :func:`generator.cli.main`."""

import sys

from generator.cli import main

if __name__ == "__main__":
    sys.exit(main())
