"""The customer's order status page, without Flask.

view            what a customer may see of an order, in plain words; the tag that changes
                whenever any of it does (the live endpoint's ETag)
links           the one filter every outside link passes; the status page's own URL
find_my_order   email + order number -> the status link is emailed (an outbox row)
"""
