"""reef.companion.cards.codec."""
