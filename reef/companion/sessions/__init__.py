"""reef.companion.sessions."""
