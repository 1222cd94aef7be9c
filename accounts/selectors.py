from django.db.models import Max

from accounts.models import InvitationSlip


def latest_slips(user_ids: list[int]) -> dict[int, InvitationSlip]:
    """Each user's newest invitation slip, in one query whatever the history's length."""
    newest = InvitationSlip.objects.filter(user_id__in=user_ids).values("user_id").annotate(last=Max("id"))
    return {slip.user_id: slip for slip in InvitationSlip.objects.filter(pk__in=newest.values("last"))}
