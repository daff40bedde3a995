"""Entry point of the frozen app (PyInstaller runs this as __main__): the same command line."""

import multiprocessing
import sys

from compost_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # `record` runs its worker as a spawned process
    sys.exit(main())
