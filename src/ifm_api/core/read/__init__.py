"""The public read side: the published read model, its maintenance and its queries."""
