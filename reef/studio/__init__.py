"""Reef studio."""
