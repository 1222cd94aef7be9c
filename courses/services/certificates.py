"""Certificates: issuing, revoking and reissuing, the signers, and the notices they send."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.validators import normalize_full_name
from cells.models import Membership, OrgUnit
from cells.permissions import ancestor_paths
from cells.selectors import place_of
from core.events import publish_on_commit, user_group
from core.markup import normalize
from courses import codes
from courses.models import (
    Certificate,
    CertificateEvent,
    CertificateSigner,
    Module,
)
from notifications.services import notification_send


def new_verification_code() -> str:
    return codes.new_code()  # 80 random bits, 16 readable characters (see courses.codes)


def _serial_prefix(module: Module) -> str:
    unit = module.issuing_unit
    code = unit.code
    if not code:
        first = OrgUnit.objects.filter(path__in=ancestor_paths(unit.path)).exclude(code="").order_by("-depth").first()
        code = first.code if first else "CB"
    return f"{code}-{module.year}"


def certificate_signer_save(*, signer: CertificateSigner, replaced: list | None = None) -> CertificateSigner:
    """Store who signs a committee's certificates (the caller checked
    permissions.can_manage_certificate_signers). Image files are already checked and
    re-encoded by the form (validators.clean_signer_image); files they replace are deleted
    once the change commits. Certificates already issued keep the signer they were issued with."""
    with transaction.atomic():
        signer.title = " ".join(normalize(signer.title).split()).upper()
        signer.name = normalize_full_name(signer.name)
        signer.save()
        names = [name for name in (replaced or []) if name]
        if names:
            storage = signer.signature.storage
            transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return signer


def signer_for(unit_id: int | None) -> CertificateSigner | None:
    return CertificateSigner.objects.filter(unit_id=unit_id).first() if unit_id else None


def _current_certificate(user, module: Module) -> Certificate | None:
    return Certificate.objects.filter(user=user, module=module, is_current=True).first()


def _create_certificate(*, user, module: Module, cell, holder_name: str) -> Certificate:
    prefix = _serial_prefix(module)
    issuer = module.issuing_unit
    signer = signer_for(issuer.pk)
    superior = OrgUnit.objects.filter(path=issuer.path[: -OrgUnit.steplen]).first() if issuer.depth > 1 else None
    certificate = Certificate.objects.create(
        user=user,
        module=module,
        cell=cell,
        serial=f"{prefix}-tmp-{secrets.token_hex(8)}",
        code=new_verification_code(),
        holder_name=normalize(holder_name),
        module_title=module.title,
        directive=module.directive,
        issuer_name=issuer.name,
        superior_name=superior.name if superior else "",
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        place=place_of(issuer),
        issued_on=timezone.localdate(),
    )
    # The row id makes the serial unique without a counter that two requests could race on.
    certificate.serial = f"{prefix}-{certificate.pk:06d}"
    Certificate.objects.filter(pk=certificate.pk).update(serial=certificate.serial)
    return certificate


def _in_audience(cell: OrgUnit, module: Module) -> bool:
    """The cell is the module's audience or inside its subtree."""
    return cell.path.startswith(module.audience.path)


def certificate_issue(*, user, module: Module, actor=None) -> Certificate:
    """Issue the member's certificate for the module, exactly once.

    Idempotent: an existing current certificate is returned. When two requests race past the
    check, the partial unique constraint refuses the second insert and it returns the first.
    """
    existing = _current_certificate(user, module)
    if existing is not None:
        return existing
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("cell").first()
    if membership is None:
        raise ValidationError(_("Only members of a cell receive certificates."), code="no_cell")
    if not _in_audience(membership.cell, module):
        raise ValidationError(
            _("Only members of a cell in the module's audience receive its certificate."), code="outside_audience"
        )
    try:
        with transaction.atomic():
            certificate = _create_certificate(
                user=user, module=module, cell=membership.cell, holder_name=user.full_name
            )
            CertificateEvent.objects.create(certificate=certificate, actor=actor, action=CertificateEvent.Action.ISSUED)
    except IntegrityError:
        existing = _current_certificate(user, module)
        if existing is None:
            raise
        return existing
    publish_on_commit(user_group(user.pk), {"type": "certificate.issued", "id": certificate.pk})
    transaction.on_commit(lambda: _notify_issued(certificate))
    return certificate


def _notify(user, *, kind: str, msgid: str, params: dict, url: str, email: bool) -> None:
    """Notify in the reader's language, not the sender's: `msgid` (gettext_noop) and its
    `params` are rendered when shown (notifications)."""
    notification_send(user=user, kind=kind, msgid=msgid, params=params, url=url, email=email)


def _notify_issued(certificate: Certificate) -> None:
    _notify(
        certificate.user,
        kind="courses.certificate",
        msgid=gettext_noop("Your certificate for “%(title)s” is ready."),
        params={"title": certificate.module_title},
        url=reverse("courses:certificates"),
        email=False,
    )


def certificate_revoke(*, certificate: Certificate, actor, reason: str) -> Certificate:
    reason = normalize(reason).strip()
    if not reason:
        raise ValidationError(_("Give a reason for revoking."), code="reason_required")
    with transaction.atomic():
        updated = Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
            status=Certificate.Status.REVOKED, revoked_at=timezone.now(), revoked_reason=reason[:500]
        )
        if not updated:
            raise ValidationError(_("Only a valid certificate can be revoked."), code="not_valid")
        CertificateEvent.objects.create(
            certificate=certificate, actor=actor, action=CertificateEvent.Action.REVOKED, detail=reason[:500]
        )
        transaction.on_commit(lambda: _notify_revoked(certificate, reason[:500]))
    certificate.refresh_from_db()
    return certificate


def _notify_revoked(certificate: Certificate, reason: str) -> None:
    _notify(
        certificate.user,
        kind="courses.certificate",
        msgid=gettext_noop("Your certificate %(serial)s for “%(title)s” was revoked. Reason: %(reason)s"),
        params={"serial": certificate.serial, "title": certificate.module_title, "reason": reason},
        url=reverse("courses:certificate", args=[certificate.pk]),
        email=True,
    )


def _notify_reissued(old: Certificate, new: Certificate) -> None:
    _notify(
        new.user,
        kind="courses.certificate",
        msgid=gettext_noop(
            "Your certificate %(old)s for “%(title)s” was replaced by a new one, %(new)s. "
            "Download the new certificate; the old one is no longer valid."
        ),
        params={"old": old.serial, "new": new.serial, "title": new.module_title},
        url=reverse("courses:certificate", args=[new.pk]),
        email=True,
    )


def certificate_reissue(*, certificate: Certificate, actor, reason: str = "") -> Certificate:
    """A new certificate with the holder's current name; the old one shows as replaced."""
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if not old.is_current or old.status != Certificate.Status.VALID:
            raise ValidationError(_("Only a valid, current certificate can be reissued."), code="not_current")
        Certificate.objects.filter(pk=old.pk).update(is_current=False, status=Certificate.Status.REPLACED)
        new = _create_certificate(user=old.user, module=old.module, cell=old.cell, holder_name=old.user.full_name)
        Certificate.objects.filter(pk=old.pk).update(replaced_by=new)
        detail = normalize(reason)[:300] or f"{old.holder_name} → {new.holder_name}"
        CertificateEvent.objects.create(
            certificate=old, actor=actor, action=CertificateEvent.Action.REISSUED, detail=f"{detail} ({new.serial})"
        )
        CertificateEvent.objects.create(certificate=new, actor=actor, action=CertificateEvent.Action.ISSUED)
        transaction.on_commit(lambda: _notify_reissued(old, new))
    return new
