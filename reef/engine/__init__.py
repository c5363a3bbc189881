"""Model runtime: the embedded llama.cpp engine, remote OpenAI-compatible backends, routing."""
