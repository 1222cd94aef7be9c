import io

from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from pledges.models import DEFAULT_SECTIONS, Pledge, PledgeTemplate


def test_it_seeds_the_demo_pledges_once_with_the_flagged_pair(db, client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert PledgeTemplate.objects.filter(year=2020, unit__name="Tỉnh ủy Quảng Trị").count() == 1
    template = PledgeTemplate.objects.get(year=2020)
    assert list(template.sections.values_list("title", flat=True)) == DEFAULT_SECTIONS
    assert DEFAULT_SECTIONS[0] == "Tư tưởng chính trị" and len(DEFAULT_SECTIONS) == 6
    assert Pledge.objects.filter(member__username="dangvien", year=2020).count() == 1
    assert Pledge.objects.get(member__username="dangvien").status == "draft"
    assert set(Pledge.objects.values_list("status", flat=True)) == {
        "draft", "submitted", "returned", "approved", "reviewed", "rated",
    }  # fmt: skip
    client.force_login(User.objects.get(username="bithu"))
    page = client.get(reverse("pledges:queue")).content.decode()
    twins = Pledge.objects.filter(member__username__in=["demo102", "demo103"]).order_by("pk")
    assert reverse("pledges:compare", args=[p.pk for p in twins]) in page
