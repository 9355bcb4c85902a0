"""A whole fleet's audit: every camera assessed, a summary and a ranking by risk."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from clearsight.fleet._assess import Assessor, CameraAssessment
from clearsight.fleet._catalog import Catalog
from clearsight.fleet._inventory import CameraRecord, Inventory, RowProblem
from clearsight.fleet._options import AuditOptions

LEVELS = ("critical", "high", "medium", "low")


@dataclass(frozen=True, slots=True)
class FleetCamera:
    record: CameraRecord
    assessment: CameraAssessment


@dataclass(frozen=True)
class GroupRisk:
    """Risk of one vendor's or one site's cameras."""

    name: str
    cameras: int
    covered: int
    with_advisories: int
    internet_exposed: int
    mean_risk: float
    max_risk: int


@dataclass(frozen=True)
class FleetSummary:
    cameras: int
    covered: int
    possibly_covered: int
    with_advisories: int
    with_possible_advisories: int
    with_exploited_advisories: int
    with_kev_advisories: int
    internet_exposed: int
    default_credentials: int
    unknown_credentials: int
    outdated_firmware: int
    unknown_vendor: int
    zone_conflicts: int
    by_level: dict[str, int]
    by_advisory: dict[str, int]
    by_vendor: tuple[GroupRisk, ...]
    by_site: tuple[GroupRisk, ...]
    malformed_rows: int


@dataclass(frozen=True)
class FleetReport:
    """Cameras ranked by risk (highest first), the summary, and the rows left out."""

    source: str
    cameras: tuple[FleetCamera, ...]
    summary: FleetSummary
    problems: tuple[RowProblem, ...]
    as_of: date
    firmware_max_age_days: int
    vendors_version: str
    advisories_version: str
    advisory_update: str | None
    vendors_update: str | None
    kev_version: str
    kev_source: str
    kev_age_days: int
    kev_stale: bool
    inventory_format: str


_CLOSED_ZONE_WORDS = ("closed", "isolated", "air-gapped", "airgapped", "offline")


def zone_conflict(record: CameraRecord) -> bool:
    """The zone is called closed but the camera is recorded as reaching the internet."""
    zone = record.zone.lower()
    return record.internet == "yes" and any(word in zone for word in _CLOSED_ZONE_WORDS)


def _group(name: str, members: Sequence[FleetCamera]) -> GroupRisk:
    risks = [member.assessment.risk for member in members]
    return GroupRisk(
        name=name,
        cameras=len(members),
        covered=sum(member.assessment.covered for member in members),
        with_advisories=sum(bool(member.assessment.advisories) for member in members),
        internet_exposed=sum(member.record.internet == "yes" for member in members),
        mean_risk=round(sum(risks) / len(risks), 1),
        max_risk=max(risks),
    )


def _ranked_groups(cameras: Sequence[FleetCamera], key: str) -> tuple[GroupRisk, ...]:
    groups: defaultdict[str, list[FleetCamera]] = defaultdict(list)
    for camera in cameras:
        label = camera.assessment.vendor.name if key == "vendor" else camera.record.site
        groups[label or "(none)"].append(camera)
    ranked = [_group(name, members) for name, members in groups.items()]
    return tuple(sorted(ranked, key=lambda group: (-group.mean_risk, -group.max_risk, group.name)))


def summarise(cameras: Sequence[FleetCamera], malformed: int) -> FleetSummary:
    assessments = [camera.assessment for camera in cameras]
    levels = Counter(assessment.level for assessment in assessments)
    advisories = Counter(a.id for assessment in assessments for a in assessment.advisories)
    return FleetSummary(
        cameras=len(cameras),
        covered=sum(a.covered for a in assessments),
        possibly_covered=sum(a.coverage == "possible" for a in assessments),
        with_advisories=sum(bool(a.advisories) for a in assessments),
        with_possible_advisories=sum(
            bool(a.possible_advisories) and not a.advisories for a in assessments
        ),
        with_exploited_advisories=sum(
            any(advisory.known_exploited for advisory in a.advisories) for a in assessments
        ),
        with_kev_advisories=sum(
            any(advisory.in_kev for advisory in a.advisories) for a in assessments
        ),
        internet_exposed=sum(a.internet == "yes" for a in assessments),
        default_credentials=sum(a.credentials == "default" for a in assessments),
        unknown_credentials=sum(a.credentials == "unknown" for a in assessments),
        outdated_firmware=sum(bool(a.firmware_outdated) for a in assessments),
        unknown_vendor=sum(a.coverage == "unknown" for a in assessments),
        zone_conflicts=sum(zone_conflict(camera.record) for camera in cameras),
        by_level={level: levels.get(level, 0) for level in LEVELS},
        by_advisory=dict(sorted(advisories.items())),
        by_vendor=_ranked_groups(cameras, "vendor"),
        by_site=_ranked_groups(cameras, "site"),
        malformed_rows=malformed,
    )


def audit_inventory(inventory: Inventory, catalog: Catalog, options: AuditOptions) -> FleetReport:
    """Assess every valid row; the ranking puts the riskiest camera first."""
    assessor = Assessor(catalog, options)
    cameras = [
        FleetCamera(
            record=record,
            assessment=assessor.assess(
                record.vendor,
                record.model,
                record.firmware,
                internet=record.internet,
                credentials=record.credentials,
                firmware_date=record.firmware_date,
            ),
        )
        for record in inventory.records
    ]
    cameras.sort(
        key=lambda camera: (-camera.assessment.risk, -camera.assessment.points, camera.record.line)
    )
    return FleetReport(
        source=inventory.path,
        cameras=tuple(cameras),
        summary=summarise(cameras, len(inventory.problems)),
        problems=inventory.problems,
        as_of=options.audit_date(),
        firmware_max_age_days=options.firmware_max_age_days,
        vendors_version=catalog.vendors_version,
        advisories_version=catalog.advisories_version,
        advisory_update=catalog.update_source,
        vendors_update=catalog.vendors_update,
        kev_version=catalog.kev.catalogVersion,
        kev_source=catalog.kev_source,
        kev_age_days=catalog.kev.age_days(options.audit_date()),
        kev_stale=catalog.kev.stale(options.audit_date()),
        inventory_format=inventory.format,
    )
