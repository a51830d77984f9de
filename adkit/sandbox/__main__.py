"""`python -m adkit.sandbox`: which sandbox runs here, why, and what it costs."""

import sys

from adkit.sandbox.measure import main

sys.exit(main())
