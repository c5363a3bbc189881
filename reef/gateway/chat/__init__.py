"""reef.gateway.chat."""
