"""Entry point of the frozen app (PyInstaller runs this as __main__): the same command line."""

import multiprocessing
import sys

from compost_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a library starts worker processes
    sys.exit(main())
