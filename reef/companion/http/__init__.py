"""The companion API over HTTP: one router per resource."""

from reef.companion.http import characters, memories, sessions

routers = [characters.router, sessions.router, memories.router]

__all__ = ["routers"]
