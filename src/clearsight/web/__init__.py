"""Web: the routes and pages over a service context (REST API with OpenAPI, server-rendered
pages, vendored assets). What the routes do lives in ``clearsight.service``."""

from clearsight.web._app import create_app

__all__ = ["create_app"]
