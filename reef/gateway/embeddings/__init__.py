"""reef.gateway.embeddings."""
