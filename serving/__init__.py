"""Running in production: structured logs on stdout and a health check for the load balancer."""
from flask import Flask


def init_app(app: Flask) -> None:
    from serving import health, logs

    logs.init_app(app)
    app.register_blueprint(health.bp)
