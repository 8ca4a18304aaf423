"""Jinja2 set-up shared by every page: the templates folder, globals every page needs, and `page()`."""
from __future__ import annotations

import os

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..outputs.human import SEVERITY_NAME
from .auth import ROLE_NAMES, csrf_token, current_user

HERE = os.path.dirname(__file__)
templates = Jinja2Templates(directory=os.path.join(HERE, "templates"))
templates.env.globals.update(csrf_token=csrf_token, current_user=current_user, ROLE_NAMES=ROLE_NAMES,
                             SEVERITY_NAME=SEVERITY_NAME)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def page(request: Request, name: str, status_code: int = 200, **context):
    """A full page, or (for an htmx request asking for a fragment) the same template: templates that
    serve both extend base.html only when `request.headers['hx-request']` is absent."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
