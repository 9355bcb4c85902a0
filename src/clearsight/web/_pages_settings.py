"""The service's settings page: the operating point the cameras match at, and what the pooled
rule would leave above target."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from clearsight.errors import ConfigError
from clearsight.match import group_rates, groups_above_target, load_card, operating_point
from clearsight.service import Permission, Principal
from clearsight.web._auth import allowed, service
from clearsight.web._render import render

router = APIRouter(include_in_schema=False)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, principal: Principal = allowed(Permission.USERS_MANAGE)
) -> Response:
    """The cameras' model, target, rule and threshold; each group's rate there; a warning
    naming the groups left above target when the rule is pooled."""
    ctx = service(request)
    model_id = ctx.camera_model_id
    point = rates = above = None
    problem = ""
    if model_id is None:
        problem = "The service was started without a pipeline config; its model is not known."
    else:
        try:
            card = load_card(model_id)
            point = operating_point(card, ctx.config.match)
            rates = group_rates(card, point)
            above = groups_above_target(card, point)
        except ConfigError as error:
            problem = str(error)
    return render(
        request,
        "settings.html",
        principal,
        point=point,
        rates=rates,
        above=above,
        problem=problem,
    )
