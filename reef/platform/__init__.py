"""Accounts, API keys, metering, rate limits, budgets and usage analytics."""
