"""reef.companion.prompt.assemble."""
