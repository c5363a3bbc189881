"""The OpenAI Responses API over Reef's engines."""
