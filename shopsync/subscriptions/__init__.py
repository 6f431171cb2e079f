"""Subscriptions and the access they give: kept by the provider's clock, one rule, pushes."""
