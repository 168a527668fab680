"""Pages: opportunities."""
