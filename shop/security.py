"""Response headers that keep pages to the shop's own files and out of other sites' frames."""

from flask import Flask

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_security_headers(app: Flask) -> None:
    @app.before_request
    def _no_nul():
        # A NUL byte is never typed by a person, and PostgreSQL refuses it in any text:
        # stop it at the door (the path, the query and form fields) with a 400.
        from flask import abort, request

        if "\x00" in request.path or any(
            "\x00" in value for values in (request.args, request.form) for value in values.values()
        ):
            abort(400)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
