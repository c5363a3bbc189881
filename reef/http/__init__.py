"""reef.http."""
