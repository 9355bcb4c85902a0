"""Interfaces people expect beside the pages: interactive API docs served from the package
(Swagger UI from the ``swagger-ui-bundle`` wheel, no CDN), Prometheus ``/metrics``, and the
small JSON feeds the home page and the review queue poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.staticfiles import StaticFiles

from clearsight.review import AlertStatus
from clearsight.service import Permission, Principal, home_counts, usecases
from clearsight.web._auth import allowed, service
from clearsight.web._openapi import openapi_document
from clearsight.web._render import render
from clearsight.web._schemas import AlertOut

router = APIRouter()
P = Permission
DOCS_ASSETS = "/docs-assets"


def docs_assets() -> StaticFiles:
    """Swagger UI's files, as the installed ``swagger-ui-bundle`` ships them."""
    from swagger_ui_bundle import swagger_ui_path

    return StaticFiles(directory=str(Path(str(swagger_ui_path))))


@router.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request, principal: Principal = allowed(P.ACCOUNT)) -> Response:
    """Swagger UI over /api/openapi.json, for signed-in people (their session calls the API)."""
    return render(request, "api_docs.html", principal, assets=DOCS_ASSETS)


@router.get("/api/docs/openapi.json", include_in_schema=False)
def api_docs_document(request: Request, _: Principal = allowed(P.ACCOUNT)) -> dict[str, Any]:
    """The API document for the bundled Swagger UI (4.x), which reads OpenAPI 3.0 only."""
    return openapi_document(request.app, "3.0.3")


@router.get("/api/summary", tags=["service"])
def summary(request: Request, principal: Principal = allowed(P.ACCOUNT)) -> dict[str, object]:
    """What waits for the caller: entries to approve, alerts to review, cameras in trouble
    (null where the caller's role does not cover it)."""
    return home_counts(service(request), principal).as_json()


class QueueAlertOut(AlertOut):
    your_decision: str | None = None


@router.get("/api/review/queue", tags=["alerts"])
def review_queue(
    request: Request, principal: Principal = allowed(P.ALERTS_REVIEW)
) -> list[QueueAlertOut]:
    """Pending alerts of the caller's sites, newest first, each with the caller's own decision
    (null while they have not decided)."""
    return [
        QueueAlertOut(**AlertOut.of(alert).model_dump(), your_decision=mine)
        for alert, mine in usecases.review_queue(service(request), principal, 500)
    ]


@router.get("/metrics", tags=["service"], response_class=Response)
def metrics(request: Request, _: Principal = allowed(P.METRICS_READ)) -> Response:
    """Prometheus text format. Scrape with an API token holding the ``metrics:read`` scope
    (an admin's), sent as ``Authorization: Bearer``."""
    ctx = service(request)
    registry = CollectorRegistry(auto_describe=True)
    cameras = Gauge(
        "clearsight_cameras", "Registered cameras by worker state.", ["state"], registry=registry
    )
    fps = Gauge(
        "clearsight_camera_analysed_fps",
        "Frames analysed per second by each enabled camera's worker.",
        ["camera"],
        registry=registry,
    )
    alerts = Gauge("clearsight_alerts", "Stored alerts by status.", ["status"], registry=registry)
    queue = Gauge(
        "clearsight_review_queue_depth", "Pending alerts waiting for review.", registry=registry
    )
    decisions = Gauge(
        "clearsight_review_decisions",
        "Review decisions recorded, by decision.",
        ["decision"],
        registry=registry,
    )
    outbox = Gauge(
        "clearsight_notify_outbox",
        "Confirmed alerts whose notification is not delivered yet.",
        registry=registry,
    )
    failures = Gauge(
        "clearsight_notify_failures",
        "Failed notification attempts since the service started (each is retried).",
        registry=registry,
    )
    figures = usecases.service_figures(ctx)
    for state, count in figures.cameras_by_state.items():
        cameras.labels(state=state).set(count)
    for name, value in figures.analysed_fps.items():
        fps.labels(camera=name).set(value)
    for status in AlertStatus:
        alerts.labels(status=status.value).set(figures.alerts_by_status.get(status.value, 0))
    queue.set(figures.alerts_by_status.get(AlertStatus.PENDING.value, 0))
    for decision, count in figures.decisions_by_kind.items():
        decisions.labels(decision=decision).set(count)
    outbox.set(figures.undelivered)
    failures.set(figures.notify_failures)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/demo-photos", include_in_schema=False, response_class=HTMLResponse)
def demo_photos_page(request: Request, principal: Principal = allowed(P.ACCOUNT)) -> Response:
    """The two public-domain portraits the demo camera shows, to enrol one and see an alert."""
    from clearsight.demo import demo_portraits, portrait_file_name

    portraits = [(p.name, p.credit, portrait_file_name(p)) for p in demo_portraits()]
    return render(request, "demo_photos.html", principal, portraits=portraits)


@router.get("/demo-photos/{file_name}", include_in_schema=False)
def demo_photo(file_name: str, _: Principal = allowed(P.ACCOUNT)) -> Response:
    from clearsight.demo import demo_portraits, portrait_file_name, portrait_png
    from clearsight.errors import NotFoundError

    for portrait in demo_portraits():
        if portrait_file_name(portrait) == file_name:
            return Response(
                portrait_png(portrait),
                media_type="image/png",
                headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
            )
    raise NotFoundError(f"no demo photo named {file_name}")
