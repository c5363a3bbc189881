"""The companion API over HTTP: one router per resource."""

from reef.companion.http import characters, memories, sessions, worldbooks

routers = [characters.router, worldbooks.router, sessions.router, memories.router]

__all__ = ["routers"]
