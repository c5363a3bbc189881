"""Every table of every part, gathered on one metadata for Alembic.

Each part declares its tables on the store's declarative `Base` in its own `tables` module;
importing them here registers them. Only the migrations import this module, so it sits above
the products in the layers and no product needs to know another's tables.
"""

from __future__ import annotations

import reef.agents.tables
import reef.companion.tables  # noqa: F401
from reef.store.tables import Base

metadata = Base.metadata

__all__ = ["metadata"]
