"""reef.evals."""
