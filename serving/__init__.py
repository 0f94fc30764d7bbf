"""Running in production: structured logs on stdout, a health check for the load balancer, search answers
kept for readers, and clear answers while the database or the disk is out."""
from flask import Flask


def init_app(app: Flask) -> None:
    from serving import health, logs, outages, page_cache

    logs.init_app(app)
    page_cache.init_app(app)
    outages.init_app(app)
    app.register_blueprint(health.bp)
