"""Local stand-ins for services that cannot exist in tests (cloud providers)."""
