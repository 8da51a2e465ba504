"""Printed paper from plain data: price tags (an A4 sheet in ``tags``, thermal labels in
``labels`` and TSPL for roll label printers in ``tspl``), receipts and slips (``receipt``,
``slips``; ESC/POS bytes in ``escpos_out`` and ``escpos_raster``), PDFs (``pdf``), and the
print queue that sends jobs after their transaction (``queue``).

Most modules take dataclasses and return the bytes to print, so a view, the command line or
a test can call them alike; ``slips``, ``queue`` and ``web`` read the database. Fonts and
images come only from ``static/``. The printers' pages are ``views`` (blueprint
``printing``, under /printer) with their ``forms``.
"""
