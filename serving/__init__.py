"""Running in production: structured logs on stdout, a health check for the load balancer, and search answers
kept for readers."""
from flask import Flask


def init_app(app: Flask) -> None:
    from serving import health, logs, page_cache

    logs.init_app(app)
    page_cache.init_app(app)
    app.register_blueprint(health.bp)
