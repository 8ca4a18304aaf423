"""The web app: clerks and reviewers check, browse and write reports in the browser.

Server-rendered Chinese pages (Jinja2 + htmx, no build step) and a JSON API for everything the pages
do, both thin over the library and the store. `create_app` builds the app for one store;
`nianbao serve` runs it under uvicorn.
"""
from .app import create_app
from .settings import WebSettings

__all__ = ["create_app", "WebSettings"]
