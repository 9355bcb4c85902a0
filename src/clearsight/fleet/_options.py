"""Audit settings: firmware age limit and the risk weights, documented field by field."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskWeights(_Section):
    covered: int = Field(
        30, ge=0, title="Covered vendor", description="Made by a vendor NDAA s.889 covers."
    )
    possibly_covered: int = Field(
        10,
        ge=0,
        title="Possibly covered vendor",
        description="A brand that sold some products made by a covered vendor.",
    )
    exploited_advisory: int = Field(
        40,
        ge=0,
        title="Known exploited flaw",
        description="Firmware matches an advisory exploited in the wild.",
    )
    advisory: int = Field(
        20, ge=0, title="Other advisory", description="Firmware matches an advisory."
    )
    possible_advisory: int = Field(
        10,
        ge=0,
        title="Possible advisory",
        description="The model is affected but the firmware could not be compared.",
    )
    extra_advisory: int = Field(
        5,
        ge=0,
        title="Each further advisory",
        description="Added per matching advisory after the first.",
    )
    internet_exposed: int = Field(
        25, ge=0, title="Reachable from the internet", description="The inventory says yes."
    )
    internet_unknown: int = Field(
        8, ge=0, title="Internet reachability unknown", description="Nobody has checked."
    )
    exposed_and_vulnerable: int = Field(
        20,
        ge=0,
        title="Exposed and vulnerable",
        description="Extra when a camera reachable from the internet matches an advisory.",
    )
    default_credentials: int = Field(
        25, ge=0, title="Default credentials", description="The factory password is in use."
    )
    unknown_credentials: int = Field(
        10, ge=0, title="Credentials unknown", description="Nobody knows whether it was changed."
    )
    old_firmware: int = Field(
        10, ge=0, title="Old firmware", description="Firmware built longer ago than the limit."
    )


class RiskLevels(_Section):
    critical: int = Field(70, ge=1, le=100, title="Critical from", description="Score >= this.")
    high: int = Field(45, ge=1, le=100, title="High from", description="Score >= this.")
    medium: int = Field(20, ge=1, le=100, title="Medium from", description="Score >= this.")

    @model_validator(mode="after")
    def _ordered(self) -> RiskLevels:
        if not self.critical > self.high > self.medium:
            raise ValueError("levels must satisfy critical > high > medium")
        return self

    def level(self, score: int) -> str:
        if score >= self.critical:
            return "critical"
        if score >= self.high:
            return "high"
        if score >= self.medium:
            return "medium"
        return "low"


class AuditOptions(_Section):
    firmware_max_age_days: int = Field(
        3 * 365,
        ge=1,
        title="Firmware age limit (days)",
        description="Firmware built longer ago than this is flagged as old.",
    )
    as_of: date | None = Field(
        None,
        title="Audit date",
        description="The day ages are measured to; None means today. Set it for reproducible "
        "reports.",
    )
    weights: RiskWeights = Field(
        default_factory=RiskWeights, title="Risk weights", description="Points per finding."
    )
    levels: RiskLevels = Field(
        default_factory=RiskLevels, title="Risk levels", description="Score bands per level."
    )

    def audit_date(self) -> date:
        return self.as_of or date.today()
