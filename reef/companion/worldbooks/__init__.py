"""World books: SillyTavern world info files an organisation imports and attaches to characters."""
