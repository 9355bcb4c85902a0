from __future__ import annotations

import datetime as dt
import unicodedata

from clearsight.policy import RetentionPolicy
from clearsight.privacy._config import PrivacyConfig
from clearsight.privacy._document import Block, Bullets, Document, Heading, Paragraph, Table
from clearsight.privacy._figures import (
    NOT_MEASURED,
    EvaluationFigures,
    FairnessFigures,
    GroupFigures,
)
from clearsight.privacy._notice import duration

NOT_SET = "not set"
_MAORI_AND_PACIFIC = ("maori", "pacific", "pasifika", "polynesian", "te ao maori")


def _pct(value: float | None, digits: int = 3) -> str:
    return NOT_MEASURED if value is None else f"{value * 100:.{digits}g}%"


def _num(value: float | None, form: str | None = None) -> str:
    if value is None:
        return NOT_MEASURED
    if form is None:
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return format(value, form)


def _with_ci(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return NOT_MEASURED
    text = _pct(value)
    return f"{text} ({_pct(ci[0])} to {_pct(ci[1])})" if ci else text


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _purpose(config: PrivacyConfig) -> tuple[Block, ...]:
    d = config.deployment
    facts = (
        ("Operator", d.operator or NOT_SET),
        ("Site", d.site or NOT_SET),
        ("Privacy officer", d.privacy_officer or NOT_SET),
        ("Contact for requests", d.contact or NOT_SET),
        ("Cameras analysed", NOT_SET if d.cameras is None else str(d.cameras)),
        (
            "Faces analysed per day (expected)",
            _num(d.faces_per_day) if d.faces_per_day else NOT_SET,
        ),
        (
            "People on the watchlist (expected)",
            NOT_SET if d.watchlist_size is None else str(d.watchlist_size),
        ),
        ("Who may be put on the watchlist", d.watchlist_criteria or NOT_SET),
    )
    necessity = d.necessity or (
        "To complete: why this purpose needs face recognition, rather than less intrusive "
        "means, and why the watchlist is limited to what that purpose needs."
    )
    return (
        Heading("1. Purpose and necessity"),
        Paragraph(f"Face recognition is used {d.purpose}."),
        Table(("deployment", "as configured"), facts),
        Paragraph(f"Necessity: {necessity}"),
    )


def _alternatives(config: PrivacyConfig) -> tuple[Block, ...]:
    listed = config.deployment.alternatives_considered
    body: Block = (
        Bullets(listed)
        if listed
        else Paragraph(
            "To complete: no alternatives are recorded (privacy.deployment."
            "alternatives_considered). List the less intrusive measures considered and why each "
            "was or was not enough."
        )
    )
    return Heading("2. Alternatives considered"), body


def _benefits_and_risks(config: PrivacyConfig, figures: EvaluationFigures) -> tuple[Block, ...]:
    benefits = config.deployment.expected_benefits
    blocks: list[Block] = [Heading("3. Benefits and risks")]
    blocks.append(Bullets(benefits) if benefits else Paragraph("Benefits: to complete."))
    lfw = figures.lfw[0] if figures.lfw else None
    tar = {far: value for far, value in (lfw.tar_at_far if lfw else ())}
    accuracy = NOT_MEASURED
    if lfw and lfw.accuracy_mean is not None:
        accuracy = _pct(lfw.accuracy_mean, 4)
        if lfw.accuracy_std is not None:
            accuracy += f" ± {_pct(lfw.accuracy_std, 2)}"
    blocks += [
        Paragraph("Measured accuracy of the face comparison (LFW benchmark, 10-fold):"),
        Table(
            ("measure", "value"),
            (
                ("verification accuracy", accuracy),
                ("ROC AUC", _num(lfw.auc if lfw else None, ".5f")),
                ("equal error rate", _pct(lfw.eer if lfw else None)),
                ("true accept rate at 1% false accepts", _pct(tar.get("0.01"))),
                ("true accept rate at 0.1% false accepts", _pct(tar.get("0.001"))),
            ),
        ),
        Paragraph(
            "LFW is a research set of press photographs, mostly of white men; it is not a test "
            "of this site's cameras, lighting or people."
        ),
    ]
    plan = figures.plans[0] if figures.plans else None
    rows = (
        ("watchlist size", _num(plan.watchlist_size if plan else None)),
        ("faces per day", _num(plan.faces_per_day if plan else None)),
        ("target false match rate per comparison", _num(plan.target_fmr if plan else None, "g")),
        (
            "expected false alerts per day",
            _num(plan.false_alerts_per_day if plan else None, ",.2f"),
        ),
        (
            "expected share of watchlist people missed",
            _pct(plan.expected_miss_rate if plan else None),
        ),
    )
    blocks += [
        Paragraph("Expected operation (operating-point plan):"),
        Table(("measure", "value"), rows),
    ]
    if plan and plan.groups:
        blocks += [
            Paragraph(
                f"By group, at the same point ({plan.rule or 'unrecorded'} rule): false alerts "
                "per day if every face seen were of the group, and the share of watchlist "
                "people of the group missed (LFW):"
            ),
            Table(
                ("group", "false match rate [95% upper]", "false alerts per day [upper]", "missed"),
                tuple(
                    (
                        g.name + ("" if g.judged else " (too small to judge)"),
                        f"{_num(g.fmr, '.2e')} [{_num(g.fmr_high, '.1e')}]",
                        f"{_num(g.false_alerts_per_day, ',.2f')} "
                        f"[{_num(g.false_alerts_per_day_high, ',.2f')}]",
                        _pct(g.fnmr),
                    )
                    for g in plan.groups
                ),
            ),
        ]
    if plan and plan.warning:
        blocks.append(Paragraph(plan.warning, strong=True))
    if plan and plan.beyond_measured:
        blocks.append(
            Paragraph(
                "The target false match rate is below what the calibration data resolves; "
                "the false alert figure assumes the target is met.",
                strong=True,
            )
        )
    blocks.append(
        Bullets(
            (
                "A person wrongly matched may be approached or excluded. Review by trained staff "
                "before any action reduces this risk but does not remove it.",
                "Errors are not equal across groups of people (section 5).",
                "A breach of stored reference photos or evidence would expose biometric data.",
                "Use beyond the stated purpose (function creep), and people avoiding the site "
                "because they are watched.",
            )
        )
    )
    return tuple(blocks)


def _oversight(approved_admins: int | None) -> tuple[Block, ...]:
    """What the install's accounts say about the two-person rules (None: not read)."""
    if approved_admins is None:
        return (
            Paragraph(
                "The install's administrators were not read (give `--data-dir` or "
                "`--database-url`): state here how many approved administrators it has."
            ),
        )
    if approved_admins < 2:
        return (
            Paragraph(
                f"Single-admin trial: this install has {approved_admins} approved "
                "administrator(s), so one person can approve the accounts they set up and the "
                "two-person rules bind accounts, not people. Approve a second administrator "
                "before live use.",
                strong=True,
            ),
        )
    return (
        Paragraph(
            f"This install has {approved_admins} approved administrators; each account's role "
            "and sites are approved by an administrator other than the one who set it up."
        ),
    )


def _safeguards(
    retention: RetentionPolicy, approved_admins: int | None = None
) -> tuple[Block, ...]:
    expiry = duration(retention.pending_expiry_hours)
    return (
        Heading("4. Safeguards"),
        Bullets(
            (
                "Faces that match nobody on the watchlist are discarded in memory, never stored.",
                "Every possible match waits for a trained reviewer; nothing is done on an "
                f"unreviewed match, which expires after {expiry}.",
                "The match threshold is set as a target false match rate from a calibration card, "
                "and every alert shows its estimated false match rate.",
                "Reference photos, evidence and templates are encrypted at rest (AES-256-GCM); "
                "the key is kept outside the database.",
                "Decisions, exports and deletions are recorded in a hash-chained audit log.",
                "Footage released on request is redacted (clearsight redact): detected faces "
                "hidden, or everything but the requester's face, and checked by a person.",
                "clearsight does not estimate age, sex, ethnicity, emotion or health; "
                "demographic labels are used only in offline evaluation data.",
                "Signs at the entrances say face recognition is in use (clearsight notice).",
                "No one person can act alone: a new account, or a change of its role or sites, "
                "has no power until a second administrator approves it, and accounts one "
                "administrator set up within the review window count as one person when "
                "confirming an alert or approving an entry.",
            )
        ),
        *_oversight(approved_admins),
    )


def _group_row(group: GroupFigures) -> tuple[str, ...]:
    if group.fmr is None and group.fnmr is None:
        reason = f"{NOT_MEASURED} ({group.note})" if group.note else NOT_MEASURED
        return group.name, reason, reason, NOT_MEASURED
    ratio = NOT_MEASURED if group.fmr_ratio_to_best is None else f"{group.fmr_ratio_to_best:.3g}x"
    return group.name, _with_ci(group.fmr, group.fmr_ci), _with_ci(group.fnmr, group.fnmr_ci), ratio


def _fairness_blocks(report: FairnessFigures) -> list[Block]:
    threshold = _num(report.threshold, ".4f")
    blocks: list[Block] = [
        Paragraph(f"By {report.attribute}, at threshold {threshold} (95% confidence intervals):"),
        Table(
            ("group", "false match rate", "false non-match rate", "false match rate vs best"),
            tuple(_group_row(group) for group in report.groups),
        ),
    ]
    measured = [g for g in report.groups if g.fmr_ratio_to_best is not None]
    if measured:
        worst = max(measured, key=lambda g: g.fmr_ratio_to_best or 0.0)
        blocks.append(
            Paragraph(
                f"Highest false match rate: {worst.name}, {worst.fmr_ratio_to_best:.3g} "
                "times the best-measured group's."
            )
        )
    if report.threshold_for_target_fmr is not None:
        target = _num(report.target_fmr, "g")
        blocks.append(
            Paragraph(
                f"Threshold that keeps every measured group under a false match rate of "
                f"{target}: {report.threshold_for_target_fmr:.4f}."
            )
        )
    return blocks


def _groups(figures: EvaluationFigures) -> tuple[Block, ...]:
    blocks: list[Block] = [
        Heading("5. Effects on Māori and other groups"),
        Paragraph(
            "Face recognition makes more errors for some groups of people than others. A false "
            "match rate several times higher means people in that group are more often wrongly "
            "flagged, and so more often approached by staff."
        ),
    ]
    if not figures.fairness:
        blocks.append(Paragraph(f"False match rate per group: {NOT_MEASURED}.", strong=True))
    for report in figures.fairness:
        blocks += _fairness_blocks(report)
    names = [_folded(g.name) for r in figures.fairness for g in r.groups if g.fmr is not None]
    if not any(key in name for name in names for key in _MAORI_AND_PACIFIC):
        blocks.append(
            Paragraph(
                f"Effects on Māori: {NOT_MEASURED}. No evaluation result covers Māori or Pacific "
                "peoples, so their false match rate is unknown and must not be assumed to equal "
                "the best-measured group's.",
                strong=True,
            )
        )
    blocks.append(
        Paragraph(
            "To complete: engagement with local iwi and Māori communities, obligations under Te "
            "Tiriti o Waitangi, and how effects on Māori and other groups will be measured on "
            "this site's own cameras and monitored."
        )
    )
    return tuple(blocks)


def _retention(policy: RetentionPolicy) -> tuple[Block, ...]:
    rows = (
        ("faces that match nobody", "never stored"),
        (
            "evidence of an alert a reviewer rejected",
            f"deleted within {duration(policy.rejected_evidence_hours)}",
        ),
        (
            "evidence of a confirmed alert",
            f"deleted after {duration(policy.confirmed_evidence_days * 24)}",
        ),
        ("an alert nobody reviewed", f"expires after {duration(policy.pending_expiry_hours)}"),
        ("an alert marked unsure", f"expires after {duration(policy.unsure_expiry_hours)}"),
        (
            "evidence of an expired alert",
            ("deleted after " if policy.expired_evidence_hours > 0 else "deleted ")
            + duration(policy.expired_evidence_hours),
        ),
        ("watchlist entries", "removed at their expiry date"),
        ("audit records of decisions and deletions", "kept; hold no face images or templates"),
    )
    return Heading("6. Retention"), Table(("record", "kept"), rows)


def _review(config: PrivacyConfig, today: dt.date) -> tuple[Block, ...]:
    months = config.deployment.review_interval_months
    month = today.month - 1 + months
    year, month = today.year + month // 12, month % 12 + 1
    due = dt.date(year, month, min(today.day, 28))
    return (
        Heading("7. Review"),
        Paragraph(
            f"This assessment is reviewed every {months} months; next review by {due.isoformat()}."
        ),
        Bullets(
            (
                "Review early after a change of model, threshold, watchlist size, cameras or "
                "purpose.",
                "Review early after any confirmed wrongful identification or complaint.",
                "Re-run the evaluation (accuracy and per-group error rates) at each review.",
            )
        ),
        Paragraph("Approved by: to complete (name, role, date)."),
    )


def build_assessment(
    config: PrivacyConfig,
    retention: RetentionPolicy,
    figures: EvaluationFigures,
    today: dt.date,
    approved_admins: int | None = None,
) -> Document:
    """The privacy impact and proportionality assessment, drafted from config and figures
    (and, when given, the number of approved administrators of the install); ``retention`` is
    the policy the service applies."""
    where = config.deployment.site or config.deployment.operator or "this site"
    sources = [
        *(item.source for item in figures.lfw),
        *(item.source for item in figures.fairness),
        *(item.source for item in figures.plans),
    ]
    blocks: tuple[Block, ...] = (
        Paragraph(
            f"Draft generated by clearsight on {today.isoformat()} from the deployment's "
            "configuration and the evaluation toolkit's measured results. Figures shown as "
            f"'{NOT_MEASURED}' have not been measured; parts marked 'to complete' need the "
            "operator's own analysis. The privacy officer must complete and approve it before "
            "the system is used.",
            strong=True,
        ),
        *_purpose(config),
        *_alternatives(config),
        *_benefits_and_risks(config, figures),
        *_safeguards(retention, approved_admins),
        *_groups(figures),
        *_retention(retention),
        *_review(config, today),
    )
    footer = "Measured results read from: " + (", ".join(sources) if sources else "none")
    return Document(
        f"Privacy impact assessment (draft): face recognition at {where}", blocks, footer
    )
