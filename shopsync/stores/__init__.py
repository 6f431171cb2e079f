"""Stores: provisioning, their webhook endpoints and API keys."""
