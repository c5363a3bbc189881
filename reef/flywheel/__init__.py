"""Reef flywheel."""
