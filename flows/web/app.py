"""The web application: read-only pages and JSON API over one archive, with strict security headers.

:func:`create_app` takes an :class:`~storage.Archive` (``archivist web`` opens it
read-only) and registers GET routes only. Every response carries a
Content-Security-Policy that allows no script at all, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options: nosniff``. With a
token, every request must present it (``Authorization: Bearer TOKEN``, or
TOKEN as the password of HTTP Basic, which browsers prompt for).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from storage import Archive, DocumentNotFound
from storage.provenance import AccessNotRecorded
from storage.search import SearchQueryError

from flows.web import api, pages
from flows.web.reader import NotFound

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def token_matches(request: Request, token: str) -> bool:
    """True when the request presents ``token`` (Bearer, or the password of HTTP Basic)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        given = value.strip()
    elif scheme.lower() == "basic":
        try:
            given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    else:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def guard(token: str | None) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The middleware: only GET and HEAD, the token when one is set, security headers on every response."""

    async def dispatch(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method not in ("GET", "HEAD"):
            response: Response = JSONResponse({"detail": "read-only: only GET and HEAD"}, status_code=405,
                                              headers={"Allow": "GET, HEAD"})
        elif token is not None and not token_matches(request, token):
            response = JSONResponse({"detail": "a token is required"}, status_code=401,
                                    headers={"WWW-Authenticate": 'Basic realm="archivist", charset="UTF-8"'})
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return dispatch


def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, str(exc))


def _not_recorded(request: Request, exc: Exception) -> Response:
    """An original is served only when its download is recorded: else 503, and nothing is sent."""
    return _error(request, 503, f"the download could not be recorded, so the original is not served: {exc}")


def _bad_query(request: Request, exc: Exception) -> Response:
    return _error(request, 400, str(exc))


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    return pages.page(request, "error.html", status, status=status, message=message)


def _routes_app() -> FastAPI:
    app = FastAPI(title="archivist", version="1",
                  description="Read-only pages and JSON API over an archivist archive. Every JSON payload "
                              "carries `schema_version`; the same serialisers make the CLI's `--json`.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def openapi_schema() -> dict[str, Any]:
    """The API's OpenAPI schema (what ``/api/openapi.json`` serves), without an archive."""
    return _routes_app().openapi()


def create_app(archive: Archive, token: str | None = None) -> FastAPI:
    """The app serving ``archive`` (GET routes only); with ``token``, every request must present it."""
    app = _routes_app()
    app.state.archive = archive
    app.state.token_required = token is not None
    app.middleware("http")(guard(token))
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(DocumentNotFound, _not_found)
    app.add_exception_handler(SearchQueryError, _bad_query)
    app.add_exception_handler(AccessNotRecorded, _not_recorded)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    return app
