"""Reef api."""
