"""reef.companion.characters.build."""
