"""One JSON error shape for every error: ``{"error": {"status": int, "code": str, "message": str}}``.

HTML pages answer errors with an HTML page carrying the same three fields, unless the client asked for JSON
(``?format=json``, a path under ``/api``, or an ``Accept`` header that prefers JSON) or the app has no templates (the
JSON API without its web pages).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Mapping

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ConfigError, NotFound, StorylineError

log = logging.getLogger("storyline.api")


class ApiError(Exception):
    """An error with an HTTP status and a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message}}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return True
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


def error_response(request: Request, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    templates = request.app.state.ctx.templates
    if templates is None or wants_json(request):  # the JSON API alone (no web pages) answers every error in JSON
        return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "code": code, "message": message},
        status_code=status, headers=headers,
    )


async def _api_error(request: Request, exc: ApiError) -> Response:
    return error_response(request, exc.status, exc.code, exc.message, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = f"no page or endpoint at {request.url.path!r}; the API is listed at /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path!r}; see /docs for the methods it takes"
    return error_response(request, exc.status_code, _code_for(exc.status_code), message,
                          getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        got = err.get("input")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix for our checks
        parts.append(f"{where or 'request'}: {msg}"
                     + (f" (got {got!r})" if got is not None and not isinstance(got, (dict, list)) else ""))
    return error_response(request, 422, "invalid-parameter", "; ".join(parts) or "invalid request")


# The store's lookups end their errors with a CLI hint ("try `storyline stories`"); an HTTP client gets the HTTP one.
_CLI_HINT = re.compile(r"(?:try|run|see) `storyline ([a-z-]+)[^`]*`")
_HTTP_HINTS = {"stories": "GET /api/stories lists story ids", "articles": "GET /api/articles lists article ids",
               "search": "GET /api/search?q=WORDS finds articles", "show": "GET /api/stories/{id} shows a story"}


def http_hint(message: str) -> str:
    """``message`` with its CLI hints told the HTTP way.

    >>> http_hint("no such story 's-x'; try `storyline stories`")
    "no such story 's-x'; GET /api/stories lists story ids"
    """
    return _CLI_HINT.sub(lambda m: _HTTP_HINTS.get(m.group(1), "the API is listed at /docs"), message)


async def _storyline_error(request: Request, exc: StorylineError) -> Response:
    if isinstance(exc, NotFound):
        return error_response(request, 404, "not-found", http_hint(str(exc)))
    if isinstance(exc, ConfigError):
        return error_response(request, 422, "invalid-setting", str(exc))
    return error_response(request, 422, "invalid-request", http_hint(str(exc)))


def _unexpected_handler(headers: Mapping[str, str]) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """An unhandled error: a complete 500 answer that says ``Connection: close``.

        Starlette answers it from its outermost middleware and then re-raises the exception, after which the server
        drops the connection: ``Connection: close`` tells a keep-alive client so, and uvicorn then closes cleanly
        after the answer. That middleware sits outside the app's own middleware, so ``headers`` (the security
        headers) are added here.
        """
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, "internal-error",
                              f"the server failed on {request.method} {request.url.path} ({type(exc).__name__}); "
                              "the server log has the details", {**headers, "Connection": "close"})

    return _unexpected


def install(app, headers_on_500: Mapping[str, str] | None = None) -> None:
    """Install the handlers; ``headers_on_500`` go on unhandled-error answers, which bypass the app's middleware."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorylineError, _storyline_error)
    app.add_exception_handler(Exception, _unexpected_handler(headers_on_500 or {}))
