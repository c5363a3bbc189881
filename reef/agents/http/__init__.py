"""The agents API over HTTP: one router per resource."""

from reef.agents.http import toolsets

routers = [toolsets.router]

__all__ = ["routers"]
