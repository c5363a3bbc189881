"""The agent-facing APIs over HTTP: one router per endpoint family."""

from reef.agents.http import messages, responses, toolsets

routers = [responses.router, *messages.routers, toolsets.router]

__all__ = ["routers"]
