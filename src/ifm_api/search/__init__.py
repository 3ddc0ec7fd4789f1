"""Full-text search in German and English over the published read model (issue 14)."""
