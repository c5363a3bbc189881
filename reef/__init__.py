"""Reef: a self-hosted AI platform."""

__version__ = "0.1.0"
