from __future__ import annotations

from clearsight.errors import ConfigError
from clearsight.policy import RetentionPolicy
from clearsight.privacy._config import PrivacyConfig
from clearsight.privacy._document import Block, Document, Heading, Paragraph

OPC_URL = "privacy.org.nz"
"""The Office of the Privacy Commissioner, where people in New Zealand can complain."""


def duration(hours: float) -> str:
    """'24 hours', '30 days', 'at once': a retention period in words."""
    if hours <= 0:
        return "at once"
    if hours < 48:
        return f"{hours:g} hour{'s' if hours != 1 else ''}"
    days = hours / 24
    return f"{days:g} day{'s' if days != 1 else ''}"


def retention_sentences(policy: RetentionPolicy) -> tuple[str, ...]:
    rejected = duration(policy.rejected_evidence_hours)
    return (
        f"If staff decide it is not a match: deleted within {rejected}.",
        f"If staff confirm the match: kept {duration(policy.confirmed_evidence_days * 24)}, then "
        "deleted.",
        f"If nobody checks it within {duration(policy.pending_expiry_hours)}: deleted unreviewed.",
    )


def _required(config: PrivacyConfig, name: str) -> str:
    value = getattr(config.deployment, name)
    if not value:
        raise ConfigError(
            f"privacy.deployment.{name} is not set: the sign must give it "
            f"({type(config.deployment).model_fields[name].description})"
        )
    return str(value)


def build_notice(config: PrivacyConfig, retention: RetentionPolicy) -> Document:
    """The public sign: that face recognition is in use, why, by whom, for how long (the
    retention policy the service applies), and where to ask. Refuses to draft a sign that leaves out the operator, contact or the
    published assessment."""
    operator = _required(config, "operator")
    contact = _required(config, "contact")
    assessment = _required(config, "assessment_url")
    deployment = config.deployment
    where = f"at {deployment.site} " if deployment.site else "here "
    blocks: tuple[Block, ...] = (
        Paragraph(f"Cameras {where}use face recognition {deployment.purpose}.", strong=True),
        Paragraph(f"Operated by {operator}."),
        Heading("What happens to your face"),
        Paragraph(
            "Your face is compared with the faces of people on this site's watchlist. If it "
            "does not match anyone, it is discarded at once and never stored."
        ),
        Paragraph(
            "A match is only a possible match: trained staff check it before anything is done. "
            "Images of a possible match are kept only as follows."
        ),
        *(Paragraph(sentence) for sentence in retention_sentences(retention)),
        Paragraph("The system does not estimate anyone's age, sex, ethnicity, emotions or health."),
        Heading("Your rights"),
        Paragraph(
            f"You may ask for the information held about you, and ask for it to be corrected "
            f"or deleted: {contact}. You may complain to the Privacy Commissioner: {OPC_URL}."
        ),
        Paragraph(f"Our privacy impact assessment: {assessment}"),
    )
    return Document("Face recognition in use", blocks, footer=operator, poster=True)
