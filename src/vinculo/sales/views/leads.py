"""Pages: leads."""
