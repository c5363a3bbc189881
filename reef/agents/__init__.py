"""Reef agents."""
