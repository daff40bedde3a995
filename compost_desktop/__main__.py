import sys

from compost_desktop.cli import main

sys.exit(main())
