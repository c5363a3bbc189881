"""Units shared by every layer: prices and spend are integers of nano-dollars, so sums are exact."""

from __future__ import annotations

NANO_PER_USD = 1_000_000_000
