"""reef.gateway."""
