"""reef.companion.voice.service."""
