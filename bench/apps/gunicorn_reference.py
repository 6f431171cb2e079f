"""gunicorn settings for the reference apps (a) and (b): none, i.e. gunicorn's defaults.

Given with `--config` so that gunicorn does not pick up the project's own
`gunicorn.conf.py` from the working directory; the worker model comes from the command
line (see `bench.servers.worker_model`).
"""
