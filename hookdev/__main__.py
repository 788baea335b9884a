"""`python -m hookdev`."""

import sys

from hookdev.cli import main

sys.exit(main())
