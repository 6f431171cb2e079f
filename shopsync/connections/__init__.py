"""Accounts a store connects with API credentials, and the calls made with them.

stripe           connect, roll, disconnect a Stripe key per mode (test, live)
stripe_endpoint  the store's Stripe URL and the secrets it accepts
stripe_api       the few Stripe API calls, behind one typed adapter
stripe_reader    reading a store's Stripe objects with its key, for handlers
line_items       Checkout orders' items, read from Stripe after the order is made
platforms        what WooCommerce and Shopify connections share (stored, encrypted)
woocommerce      order webhooks made at a WooCommerce site through its REST API
shopify          webhook subscriptions made through a shop's Admin API
platform_http    JSON calls to a typed site address, through the SSRF guard
jobs             RQ jobs: finishing a secret roll, reading line items; relay backstops
"""
