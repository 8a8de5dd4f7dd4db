"""Fake external services for tests, spoken to over the wire by the real client libraries."""
