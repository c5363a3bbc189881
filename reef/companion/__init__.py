"""Reef companion."""
