"""reef.gateway.speech."""
