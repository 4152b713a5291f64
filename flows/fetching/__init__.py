"""flows/fetching."""
