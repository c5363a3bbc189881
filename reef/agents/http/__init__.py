"""The agent-facing APIs over HTTP: one router per endpoint family."""
