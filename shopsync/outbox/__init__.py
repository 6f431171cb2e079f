"""The outbox: everything shopsync sends, written with the change that causes it.

rows        `post` a message in the unit of work's transaction (unique key)
policy      retry schedules per channel, with jitter
delivery    claim messages after commit, hand them to their channel, record outcomes
channels/   one module per kind of message (store webhooks, email, Mailchimp)
jobs        the RQ job that delivers, and the relay's pass over the outbox
"""
