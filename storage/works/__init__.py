"""storage/works."""
