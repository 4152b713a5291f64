"""archivist web: the read-only web interface and JSON API (FastAPI, served by uvicorn)."""

from __future__ import annotations

import ipaddress
import json

import click

from flows.cli.context import Context, OperationalError


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", envvar="ARCHIVIST_WEB_TOKEN", default=None, metavar="TOKEN",
              help="Require this read-only token on every request (Bearer, or the password of HTTP Basic); "
                   "env ARCHIVIST_WEB_TOKEN.")
@click.option("--openapi", "print_openapi", is_flag=True,
              help="Print the API's OpenAPI schema (also the schema of the matching --json outputs) and exit.")
@click.pass_obj
def web(obj: Context, host: str, port: int, token: str | None, print_openapi: bool) -> None:
    """Serve the archive read-only: search, documents, works and diffs, archive status, and /api/.

    The archive is opened read-only; no page or endpoint writes. Binds to
    127.0.0.1 by default; another host is refused unless a --token is given.
    """
    from flows.web.app import create_app

    if print_openapi:
        from flows.web.app import openapi_schema

        click.echo(json.dumps(openapi_schema(), indent=2, ensure_ascii=False))
        return
    if not is_loopback(host) and not token:
        raise OperationalError(f"--host {host} is not loopback: give --token (or ARCHIVIST_WEB_TOKEN) so only "
                               "people with the token can read the archive")
    import uvicorn

    app = create_app(obj.archive(), token=token)
    where = "loopback only" if is_loopback(host) else "reachable from other hosts, token required"
    click.echo(f"archivist web: http://{host}:{port}/ ({where}; read-only: {obj.archive().url})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


COMMANDS = [web]
