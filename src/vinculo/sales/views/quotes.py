"""Pages: quotes."""
