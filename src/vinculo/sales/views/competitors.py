"""Pages: competitors."""
