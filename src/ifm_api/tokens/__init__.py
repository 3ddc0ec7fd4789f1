"""Token management through the API (admins only)."""
