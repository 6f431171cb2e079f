"""`shopsync admin`: the people who sign in to /admin."""

from __future__ import annotations

import click

from shopsync import bootstrap
from shopsync.admin import users
from shopsync.admin.users import MIN_PASSWORD_LENGTH, AdminUserError


@click.group()
def admin() -> None:
    """Admin users: who may sign in to /admin, and to which stores."""


@admin.command("create-user")
@click.argument("email")
@click.option(
    "--store",
    "stores",
    type=int,
    multiple=True,
    help="A store the user may run (repeat for several); without it, every store.",
)
def create_user(email: str, stores: tuple[int, ...]) -> None:
    """Create an admin user; the password is asked for (never an argument)."""
    rt = bootstrap.start()
    try:
        if users.user_exists(rt.engine, email):  # before asking for a password in vain
            raise AdminUserError(
                f"{email.strip().lower()} already has an account (use admin set-password)"
            )
        password = _new_password()
        created = users.create_user(
            rt.engine, email=email, password=password, store_ids=list(stores) or None
        )
    except AdminUserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"admin user {created.email} created ({_scope(created)})")
    click.echo(f"sign in at {rt.settings.public_url}/admin/login")


@admin.command("set-password")
@click.argument("email")
def set_password(email: str) -> None:
    """Give a user a new password; their other sessions end."""
    rt = bootstrap.start()
    try:
        if not users.user_exists(rt.engine, email):
            raise AdminUserError(f"no admin user {email.strip().lower()} (see admin list-users)")
        users.set_password(rt.engine, email=email, password=_new_password())
    except AdminUserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"password of {email.strip().lower()} changed; its other sessions are signed out")


@admin.command("list-users")
def list_users() -> None:
    """Every admin user, the stores they may run, and when they last signed in."""
    rt = bootstrap.start()
    found = users.list_users(rt.engine)
    if not found:
        click.echo("no admin users yet (add one with `shopsync admin create-user EMAIL`)")
    for user in found:
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        click.echo(f"{user.email:<40} {_scope(user):<24} last sign-in: {last}")


def _new_password() -> str:
    """Asked twice, never echoed; a too-short one is asked for again."""
    password: str = click.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
        value_proc=_acceptable,
    )
    return password


def _acceptable(value: str) -> str:
    try:
        users.check_password(value)
    except AdminUserError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _scope(user: users.UserSummary) -> str:
    if user.all_stores:
        return "every store"
    if not user.store_ids:
        return "no store"
    return "stores " + ", ".join(map(str, user.store_ids))


COMMANDS = [admin]
