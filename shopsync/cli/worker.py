"""`shopsync worker` and `shopsync relay`: working the queue."""

from __future__ import annotations

import click

from shopsync.cli.project import open_project


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker with the scheduler and the relay."""
    from shopsync.pipeline.worker import run_worker

    run_worker(open_project(check_schema=False), burst=burst)


@click.command()
def relay() -> None:
    """Re-queue events whose wake-up was lost, whose retry is due or whose claim expired."""
    from shopsync.pipeline import jobs

    open_project()
    click.echo(f"re-queued {jobs.relay()} events")


COMMANDS = [worker, relay]
