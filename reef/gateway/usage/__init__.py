"""reef.gateway.usage."""
