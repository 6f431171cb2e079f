"""The webhook pipeline: receive and verify a delivery, keep it in the inbox, work it.

registry    providers and their handlers (filled by `handlers.load_all`)
endpoints   which store and secrets stand behind a webhook URL
ingest      verify and record one delivery, then wake a worker
inbox       every state change of an inbox row
processing  dispatch to handlers and the retry/park policy
jobs        RQ jobs: drain the inbox, the relay pass
worker      the worker process and its relay thread
"""
