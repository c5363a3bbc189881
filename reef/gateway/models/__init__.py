"""reef.gateway.models."""
