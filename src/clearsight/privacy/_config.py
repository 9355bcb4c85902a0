from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PURPOSE = (
    "to detect when people on this site's watchlist enter, so that trained staff can check "
    "each possible match before anyone acts on it"
)


class OperatorConfig(BaseModel):
    """Who runs this deployment and why: what the sign and the assessment tell the public."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operator: str | None = Field(
        None,
        min_length=1,
        title="Operator",
        description="The organisation responsible for the system, as named on signs.",
    )
    site: str | None = Field(
        None, min_length=1, title="Site", description="The place the cameras watch."
    )
    contact: str | None = Field(
        None,
        min_length=1,
        title="Privacy contact",
        description="Where people send questions, access and correction requests (email, "
        "phone or address).",
    )
    privacy_officer: str | None = Field(
        None,
        title="Privacy officer",
        description="Name or role of the responsible privacy officer.",
    )
    purpose: str = Field(
        DEFAULT_PURPOSE,
        min_length=1,
        title="Purpose",
        description="Why faces are compared, in plain words completing 'face recognition is "
        "used ...'.",
    )
    watchlist_criteria: str | None = Field(
        None,
        title="Watchlist criteria",
        description="Who may be put on the watchlist, on what evidence, and who decides.",
    )
    assessment_url: str | None = Field(
        None,
        min_length=1,
        title="Assessment published at",
        description="Where the public can read the privacy impact assessment summary.",
    )
    necessity: str | None = Field(
        None,
        title="Necessity",
        description="Why the purpose needs face recognition rather than less intrusive means.",
    )
    alternatives_considered: tuple[str, ...] = Field(
        (),
        title="Alternatives considered",
        description="Less intrusive measures considered, each with why it was or was not enough.",
    )
    expected_benefits: tuple[str, ...] = Field(
        (), title="Expected benefits", description="What the system is expected to achieve."
    )
    cameras: int | None = Field(
        None, ge=0, title="Cameras", description="Number of cameras whose video is analysed."
    )
    faces_per_day: float | None = Field(
        None,
        ge=0,
        title="Faces per day",
        description="Expected number of faces analysed per day (for the false alert estimate).",
    )
    watchlist_size: int | None = Field(
        None,
        ge=0,
        title="Watchlist size",
        description="Expected number of people on the watchlist.",
    )
    review_interval_months: int = Field(
        6,
        ge=1,
        le=36,
        title="Review interval (months)",
        description="How often the assessment, the watchlist and the measured error rates are "
        "reviewed.",
    )


class PrivacyConfig(BaseModel):
    """The ``[privacy]`` section of a clearsight config file: what the sign and the assessment
    say about who runs the system and why. How long records are kept is the file's
    ``[retention]`` section, the one the service applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deployment: OperatorConfig = Field(
        default_factory=OperatorConfig,
        title="Deployment",
        description="Operator, purpose and contact for signs and the assessment.",
    )
