"""flows/sources."""
