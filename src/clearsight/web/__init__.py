"""Web: the ASGI service (REST API with OpenAPI, server-rendered pages, vendored assets)."""

from clearsight.web._app import create_app
from clearsight.web._cluster_link import ClusterLink, SiteTemplates, site_watchlists
from clearsight.web._cluster_sink import ServiceAlertSink
from clearsight.web._context import Hooks, ServiceContext
from clearsight.web._permissions import ROLE_PERMISSIONS, Permission
from clearsight.web._settings import ServiceSettings
from clearsight.web._startup import open_database, prepare

__all__ = [
    "ROLE_PERMISSIONS",
    "ClusterLink",
    "Hooks",
    "Permission",
    "ServiceAlertSink",
    "ServiceContext",
    "ServiceSettings",
    "SiteTemplates",
    "create_app",
    "open_database",
    "prepare",
    "site_watchlists",
]
