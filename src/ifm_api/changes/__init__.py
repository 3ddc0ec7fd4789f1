"""Frontends stay in sync: the change feed, webhooks (outbox, delivery, worker), purge tags."""
