"""shopsync's benchmark harness: `make bench` (or `python -m bench --help`).

Modules: `options` (what a run does), `infra` (wrk, the throwaway database, Redis DB 9),
`servers` (gunicorn and worker processes, RSS sampling), `events` (signed Stripe
bodies), `loadgen` (wrk and a paced Python sender), `checks` (reading results back from
the database), `scenarios` (a-g), `profiling` (py-spy), `report` (table and JSON) and
`runner` (ties them together and cleans up). `apps/` holds the two reference apps.
"""
