"""Alerts: a track's match turned into one event with its evidence."""

from clearsight.alert._build import build_alert

__all__ = ["build_alert"]
