"""Camera fleet audit: covered vendors, known exploited flaws and exposed cameras.

``assess_camera`` assesses one camera with the shipped vendor and advisory data; the audit reads
a CSV or JSON inventory (``read_inventory``), assesses every row (``audit_inventory``) and
writes JSON or HTML. ``discover`` finds ONVIF cameras and ``to_records`` turns them into an
inventory. Nothing is read from disk or the network until a function is called.
"""

from clearsight.fleet._advisories import AdvisoryMatch
from clearsight.fleet._assess import Assessor, CameraAssessment, assess_camera
from clearsight.fleet._audit import (
    FleetCamera,
    FleetReport,
    FleetSummary,
    GroupRisk,
    audit_inventory,
)
from clearsight.fleet._catalog import (
    AdvisoryEntry,
    AdvisoryFile,
    Catalog,
    VendorEntry,
    VendorFile,
    load_catalog,
    shipped_catalog,
)
from clearsight.fleet._discover import DiscoveredDevice, discover, parse_target, to_records
from clearsight.fleet._export import render_html, report_to_json, write_html, write_json
from clearsight.fleet._firmware import FirmwareVersion, compare_firmware, parse_firmware
from clearsight.fleet._inventory import (
    CameraRecord,
    Inventory,
    RowProblem,
    read_inventory,
    write_inventory,
)
from clearsight.fleet._kev import (
    KevEntry,
    KevSnapshot,
    default_kev_path,
    read_cisa_catalog,
    shipped_kev,
)
from clearsight.fleet._kev_update import KevUpdate, camera_entries, snapshot_of, update_kev
from clearsight.fleet._onvif import OnvifCredentials
from clearsight.fleet._options import AuditOptions, RiskLevels, RiskWeights
from clearsight.fleet._vendors import VendorMatch

__all__ = [
    "AdvisoryEntry",
    "AdvisoryFile",
    "AdvisoryMatch",
    "Assessor",
    "AuditOptions",
    "CameraAssessment",
    "CameraRecord",
    "Catalog",
    "DiscoveredDevice",
    "FirmwareVersion",
    "FleetCamera",
    "FleetReport",
    "FleetSummary",
    "GroupRisk",
    "Inventory",
    "KevEntry",
    "KevSnapshot",
    "KevUpdate",
    "OnvifCredentials",
    "RiskLevels",
    "RiskWeights",
    "RowProblem",
    "VendorEntry",
    "VendorFile",
    "VendorMatch",
    "assess_camera",
    "audit_inventory",
    "camera_entries",
    "compare_firmware",
    "default_kev_path",
    "discover",
    "load_catalog",
    "parse_firmware",
    "parse_target",
    "read_cisa_catalog",
    "read_inventory",
    "render_html",
    "report_to_json",
    "shipped_catalog",
    "shipped_kev",
    "snapshot_of",
    "to_records",
    "update_kev",
    "write_html",
    "write_inventory",
    "write_json",
]
