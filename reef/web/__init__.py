"""Reef web: the companion chat page `reef serve` answers at `/` and `/chat` (plain HTML, CSS
and JavaScript modules under static/, no build step, nothing loaded from elsewhere)."""
