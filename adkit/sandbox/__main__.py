"""`python -m adkit.sandbox`: which sandbox runs here, and what it costs."""

from adkit.sandbox import _measure

_measure()
