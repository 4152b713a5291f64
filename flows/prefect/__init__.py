"""flows/prefect."""
