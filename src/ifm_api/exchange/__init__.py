"""Moving content in and out: legacy page import, redirects for old URLs, export/import."""
