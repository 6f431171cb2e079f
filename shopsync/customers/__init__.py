"""Customers: who they are across providers, what they agreed to, and the emails they get."""
