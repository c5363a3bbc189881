"""reef.companion.lore."""
