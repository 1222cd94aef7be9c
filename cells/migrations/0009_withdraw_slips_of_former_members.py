"""Slips printed before their member left, and still open: until accounts 0006 nothing
withdrew them when the membership ended (cells.services.membership_end does now)."""

from django.db import migrations
from django.utils import timezone


def withdraw(apps, schema_editor):
    Slip = apps.get_model("accounts", "InvitationSlip")
    Event = apps.get_model("accounts", "InvitationSlipEvent")
    Membership = apps.get_model("cells", "Membership")
    now = timezone.now()
    active = Membership.objects.filter(ended_on__isnull=True).values("user_id")
    former = Membership.objects.exclude(user_id__in=active).values("user_id")
    slips = list(
        Slip.objects.filter(
            user_id__in=former, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("pk", "user_id")
    )
    if not slips:
        return
    reasons = {}  # each person's last end reason, as membership_end would have given it
    for user_id, reason in (
        Membership.objects.filter(user_id__in={user_id for _, user_id in slips})
        .order_by("ended_on", "id")
        .values_list("user_id", "end_reason")
    ):
        reasons[user_id] = reason
    Slip.objects.filter(pk__in=[pk for pk, _ in slips]).update(revoked_at=now, revoked_why="left")
    Event.objects.bulk_create(
        [
            Event(slip_id=pk, user_id=user_id, action="withdrawn", detail=(reasons.get(user_id) or "")[:300])
            for pk, user_id in slips
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_slip_withdrawn_when_membership_ends"),
        ("cells", "0008_unit_event"),
    ]

    operations = [migrations.RunPython(withdraw, migrations.RunPython.noop)]
