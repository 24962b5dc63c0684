"""The project's error handlers (``urls.py``): JSON under ``/api/`` (``medrecall.api.errors``),
the web's HTML pages elsewhere. Here, above both, because the API and the web do not import
each other."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from medrecall.api import errors as api
from medrecall.web import views as web


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api(request):
        return api.bad_request(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api(request):
        return api.permission_denied(request, exception)
    return web.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if api.is_api(request):
        return api.page_not_found(request, exception)
    return web.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if api.is_api(request):
        return api.server_error(request)
    return web.server_error(request)
