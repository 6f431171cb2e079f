"""The order domain: orders, payments, shipping, the lifecycle and the timeline.

Any caller (a webhook handler, an admin action, a CLI command, a scheduled job) changes
an order through these modules with a `UnitOfWork`; none of them knows the pipeline.
"""
