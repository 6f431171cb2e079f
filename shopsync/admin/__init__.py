"""What the store owner's admin does, without Flask: one module per page's concern.

users       admin users, passwords, signing in, the stores each may see
dashboard   what needs attention, how much waits and for how long
events      the inbox: filter, inspect, replay
orders      search orders; an order with its timeline, causes and messages
outbox      messages sent and waiting: filter, inspect, replay
stores      a store's settings and its webhook subscribers

Every function that reads or changes a store's rows takes `store_id` and never returns
another store's row: the web layer passes the store the signed-in user chose, after
checking the user may see it.
"""
