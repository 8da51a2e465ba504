"""Printed paper: price tags (and later receipts) made from plain data, without a Flask app.

Each module takes dataclasses and returns the bytes to print, so it can be called from a
view, the command line or a test alike. Fonts and images come only from ``static/``.
"""
