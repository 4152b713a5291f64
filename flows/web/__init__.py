"""The read-only web interface and JSON API (``archivist web``): FastAPI, Jinja2, no JavaScript needed.

- :mod:`~flows.web.app`: the app, security headers, the optional token.
- :mod:`~flows.web.pages`: the HTML pages (search, document, work, diff, archive).
- :mod:`~flows.web.api`: the JSON API under ``/api/`` and :mod:`~flows.web.schemas`, its response models.
- :mod:`~flows.web.reader`: what both read; :mod:`~flows.web.render`: HTML fragments (notes, snippets).
"""
