"""The application for a WSGI server: `gunicorn -c gunicorn.conf.py wsgi:app` (configuration from the environment)."""
from app import create_app

app = create_app()
