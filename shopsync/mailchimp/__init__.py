"""Mailchimp: a store's account (accounts), and every call to the Marketing API (adapter)."""
