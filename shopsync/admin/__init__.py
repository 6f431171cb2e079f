"""What the store owner's admin does, without Flask: one module per page's concern.

users       admin users, passwords, signing in, the stores each may see
dashboard   what needs attention, how much waits and for how long
events      the inbox: filter, inspect, replay
orders      search orders; an order with its timeline, causes and messages
customers   search customers; one with consents, ids, orders, access now and why, emails
outbox      messages sent and waiting: filter, inspect, replay
connections the store's Stripe, WooCommerce and Shopify accounts, and their other side
stores      a store's settings and its webhook subscribers
settings    a store's email, branding and access settings from the admin's forms

Every function that reads or changes a store's rows takes `store_id` and never returns
another store's row: the web layer passes the store the signed-in user chose, after
checking the user may see it.
"""
