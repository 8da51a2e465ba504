"""Production settings for ``gunicorn wsgi:app`` (override any of them on the command line)."""

import os

bind = os.environ.get("SHOP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHOP_WORKERS", "2"))
threads = int(os.environ.get("SHOP_THREADS", "4"))
# Load the app once in the master: the database is migrated there, once, before workers fork.
preload_app = True
timeout = 60
accesslog = "-"
