"""Every cells page tried as every persona: hidden answers 404, visible-but-forbidden 403."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cells.models import Membership, MembershipEvent
from conftest import error_summary, make_member, summary_links

ALL = ["member_a", "secretary_a", "member_b", "officer", "outsider", "anonymous"]


def _membership(user) -> Membership:
    return Membership.objects.get(user=user, ended_on__isnull=True)


def _url(name: str, org, personas) -> str:
    """Named targets of the matrix below, resolved against the fixtures."""
    targets = {
        "mine": reverse("cells:mine"),
        "tree": reverse("cells:tree"),
        "unit_a": reverse("cells:unit", args=[org["cell_a"].pk]),
        "unit_b": reverse("cells:unit", args=[org["cell_b"].pk]),
        "unit_c": reverse("cells:unit", args=[org["cell_c"].pk]),
        "committee": reverse("cells:unit", args=[org["committee"].pk]),
        "province": reverse("cells:unit", args=[org["province"].pk]),
        "add_a": reverse("cells:member_add", args=[org["cell_a"].pk]),
        "add_c": reverse("cells:member_add", args=[org["cell_c"].pk]),
        "add_committee": reverse("cells:member_add", args=[org["committee"].pk]),
        "import_a": reverse("cells:member_import", args=[org["cell_a"].pk]),
        "import_b": reverse("cells:member_import", args=[org["cell_b"].pk]),
        "import_c": reverse("cells:member_import", args=[org["cell_c"].pk]),
        "membership_a": reverse("cells:membership", args=[_membership(personas["member_a"]).pk]),
        "membership_c": reverse("cells:membership", args=[_membership(personas["member_c"]).pk]),
    }
    return targets[name]


# (target, persona, expected status) for GET. 302 for anonymous is checked separately.
GET_MATRIX = [
    # My cell: members are sent to their cell; no cell -> 404.
    ("mine", "member_a", 302),
    ("mine", "officer", 404),
    ("mine", "outsider", 404),
    # The tree is for committee officers only.
    ("tree", "member_a", 404),
    ("tree", "secretary_a", 404),
    ("tree", "member_b", 404),
    ("tree", "outsider", 404),
    ("tree", "officer", 200),
    # A cell's page: its members and officers above it.
    ("unit_a", "member_a", 200),
    ("unit_a", "secretary_a", 200),
    ("unit_a", "officer", 200),
    ("unit_a", "member_b", 404),
    ("unit_a", "outsider", 404),
    ("unit_b", "member_a", 404),
    ("unit_b", "secretary_a", 404),
    ("unit_c", "officer", 404),
    ("unit_c", "member_a", 404),
    # Committee pages: only officers over them.
    ("committee", "officer", 200),
    ("committee", "member_a", 404),
    ("committee", "secretary_a", 404),
    ("committee", "outsider", 404),
    ("province", "officer", 404),
    # Management pages: leaders and officers; plain members of the cell 403; others 404.
    ("add_a", "secretary_a", 200),
    ("add_a", "officer", 200),
    ("add_a", "member_a", 403),
    ("add_a", "member_b", 404),
    ("add_a", "outsider", 404),
    ("add_c", "officer", 404),
    ("add_committee", "officer", 404),
    ("import_a", "secretary_a", 200),
    ("import_a", "officer", 200),
    ("import_a", "member_a", 403),
    ("import_a", "member_b", 404),
    ("import_a", "outsider", 404),
    ("import_b", "secretary_a", 404),
    ("import_c", "officer", 404),
    ("membership_a", "secretary_a", 200),
    ("membership_a", "officer", 200),
    ("membership_a", "member_a", 403),
    ("membership_a", "member_b", 404),
    ("membership_a", "outsider", 404),
    ("membership_c", "officer", 404),
    ("membership_c", "secretary_a", 404),
]


@pytest.fixture
def people(org, personas):
    return {**personas, "member_c": make_member("member_c", org["cell_c"])}


@pytest.mark.parametrize(("target", "persona", "status"), GET_MATRIX)
def test_it_answers_each_persona_as_the_permission_model_says(client_as, org, people, target, persona, status):
    url = _url(target, org, people)
    response = client_as(people[persona]).get(url)
    assert response.status_code == status


@pytest.mark.parametrize(
    "target", ["mine", "tree", "unit_a", "committee", "add_a", "import_a", "membership_a", "membership_c"]
)
def test_it_sends_anonymous_visitors_to_the_login_page(client_as, org, people, target):
    url = _url(target, org, people)
    response = client_as(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize(
    ("persona", "cell", "target", "status"),
    [
        ("member_a", "cell_a", "secretary_a", 403),
        ("member_b", "cell_a", "secretary_a", 404),
        ("outsider", "cell_a", "secretary_a", 404),
        ("secretary_a", "cell_b", "member_b", 404),
        ("officer", "cell_c", "member_c", 404),
    ],
)
def test_it_refuses_management_posts_and_changes_nothing(
    client_as, org, people, mailoutbox, django_capture_on_commit_callbacks, persona, cell, target, status
):
    client = client_as(people[persona])
    membership = _membership(people[target])
    url = reverse("cells:membership", args=[membership.pk])
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(
                reverse("cells:member_add", args=[org[cell].pk]),
                {"full_name": "Kẻ Lạ", "email": "la@example.org", "role": "member", "status": "official"},
            ),
            client.post(url, {"action": "role", "role": "deputy", "status": "probationary"}),
            client.post(url, {"action": "end", "reason": "x"}),
            client.post(url, {"action": "move", "to_cell": org["cell_a"].pk}),
            client.post(reverse("cells:invitation_resend", args=[membership.pk])),
        ]
    assert [r.status_code for r in responses] == [status] * 5
    after = Membership.objects.get(pk=membership.pk)
    assert (after.role, after.status, after.is_active, after.cell) == (
        membership.role,
        membership.status,
        True,
        membership.cell,
    )
    assert not Membership.objects.filter(user__email="la@example.org").exists()
    assert not MembershipEvent.objects.exists()
    assert mailoutbox == []


def test_it_shows_another_cells_member_page_as_404_to_the_other_secretary(client_as, org, people):
    secretary_b = make_member("secretary_b", org["cell_b"], role="secretary")
    response = client_as(secretary_b).get(reverse("cells:membership", args=[_membership(people["member_a"]).pk]))
    assert response.status_code == 404


def test_it_links_breadcrumbs_only_to_units_the_officer_may_open(client_as, org, personas):
    client = client_as(personas["officer"])
    for page in (org["cell_a"], org["committee"]):
        html = client.get(reverse("cells:unit", args=[page.pk])).content.decode()
        assert reverse("cells:unit", args=[org["province"].pk]) not in html
    html = client.get(reverse("cells:unit", args=[org["cell_a"].pk])).content.decode()
    assert reverse("cells:unit", args=[org["committee"].pk]) in html


# --- Adding, changing, ending, moving -------------------------------------------------------


def test_it_adds_one_member_by_form_and_invites_them(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(personas["secretary_a"]).post(
            reverse("cells:member_add", args=[org["cell_a"].pk]),
            {"full_name": "Phạm Thị Dung", "email": "dung@example.org", "role": "deputy", "status": "probationary"},
        )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="dung@example.org")
    assert (membership.cell, membership.role, membership.status) == (org["cell_a"], "deputy", "probationary")
    assert membership.user.username == "dungpt"  # suggested from the name
    assert not membership.user.has_usable_password()
    assert [m.to for m in mailoutbox] == [["dung@example.org"]]
    event = MembershipEvent.objects.get(membership=membership)
    assert (event.action, event.actor) == ("added", personas["secretary_a"])


def test_it_shows_the_add_forms_errors_and_adds_nobody(client_as, org, personas, mailoutbox):
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:member_add", args=[org["cell_a"].pk]),
        {"full_name": "Ai Đó", "email": "MEMBER_B@example.org", "username": "member_a", "role": "member"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Membership.objects.filter(cell=org["cell_a"]).count() == 2
    assert mailoutbox == []


def test_a_refused_add_is_summed_up_at_the_top_keeping_what_was_typed(client_as, org, personas):
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:member_add", args=[org["cell_a"].pk]),
        {"full_name": "", "email": "khong-phai-email", "phone": "0912 345 678", "role": "member", "status": "x"},
    )
    page = response.content.decode()
    assert summary_links(page) == ["id_full_name", "id_email", "id_status"]
    assert "Họ và tên" in error_summary(page)  # each line names its box
    assert 'value="khong-phai-email"' in page and 'value="0912 345 678"' in page
    assert Membership.objects.filter(cell=org["cell_a"]).count() == 2


def test_a_refused_end_of_membership_is_summed_up_at_the_top(client_as, org, personas):
    membership = _membership(personas["member_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "end", "reason": ""}
    )
    assert summary_links(response.content.decode()) == ["id_reason"]
    membership.refresh_from_db()
    assert membership.is_active


def test_a_role_the_service_refuses_is_summed_up_at_the_top(client_as, org, personas):
    membership = _membership(personas["member_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "role", "role": "secretary", "status": "official"}
    )
    assert "Chi bộ A đã có bí thư là đồng chí Lê Thị Bích" in error_summary(response.content.decode())
    membership.refresh_from_db()
    assert membership.role == "member"


def test_a_refused_rename_keeps_the_name_typed(client_as, org, personas):
    membership = _membership(personas["member_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "name", "full_name": "Nguyễn\u200bVăn Ấn"}
    )
    page = response.content.decode()
    assert summary_links(page) == ["id_full_name"]
    assert "Nguyễn\u200bVăn Ấn" in page


def test_it_changes_a_role_with_an_audit_row(client_as, org, personas):
    membership = _membership(personas["member_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]),
        {"action": "role", "role": "deputy", "status": "probationary"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.status) == ("deputy", "probationary")
    event = MembershipEvent.objects.get(membership=membership)
    assert event.action == "role_changed"
    assert event.actor == personas["secretary_a"]


def test_it_ends_a_membership_and_the_access_goes_at_once(client_as, org, personas, client):
    membership = _membership(personas["member_a"])
    unit_a = reverse("cells:unit", args=[org["cell_a"].pk])
    assert client_as(personas["member_a"]).get(unit_a).status_code == 200
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "end", "reason": "Chuyển công tác"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ended_on is not None
    assert membership.end_reason == "Chuyển công tác"
    assert MembershipEvent.objects.get(membership=membership).action == "ended"
    assert client_as(personas["member_a"]).get(unit_a).status_code == 404
    # The secretary still sees the former member in the cell's history.
    page = client_as(personas["secretary_a"]).get(unit_a)
    assert "Chuyển công tác" in page.content.decode()


def test_it_moves_a_member_between_cells_as_the_officer_over_both(client_as, org, personas):
    membership = _membership(personas["member_a"])
    member = client_as(personas["member_a"])
    assert member.get(reverse("cells:unit", args=[org["cell_a"].pk])).status_code == 200
    response = client_as(personas["officer"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "move", "to_cell": org["cell_b"].pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cells:unit", args=[org["cell_b"].pk])
    new = _membership(personas["member_a"])
    assert new.cell == org["cell_b"]
    assert new.role == "member"
    actions = list(
        MembershipEvent.objects.filter(membership__user=personas["member_a"]).values_list("action", flat=True)
    )
    assert actions == ["ended", "moved", "added"]
    member = client_as(personas["member_a"])
    assert member.get(reverse("cells:unit", args=[org["cell_a"].pk])).status_code == 404
    assert member.get(reverse("cells:unit", args=[org["cell_b"].pk])).status_code == 200
    assert member.get(reverse("cells:mine"))["Location"] == reverse("cells:unit", args=[org["cell_b"].pk])


def test_it_keeps_the_new_cells_history_from_the_old_secretary(client_as, org, personas):
    from cells import services

    old = _membership(personas["member_a"])
    new = services.membership_move(actor=personas["officer"], membership=old, to_cell=org["cell_b"])
    secretary_b = make_member("secretary_b", org["cell_b"], role="secretary", full_name="Bí Thư Bê")
    services.membership_change_role(actor=secretary_b, membership=new, role="deputy", status="probationary")
    old_page = client_as(personas["secretary_a"]).get(reverse("cells:membership", args=[old.pk])).content.decode()
    assert "Bí Thư Bê" not in old_page
    assert len(old_page.split("<li><time")) - 1 == 2  # ended and moved, both in cell A
    officer_page = client_as(personas["officer"]).get(reverse("cells:membership", args=[new.pk])).content.decode()
    assert "Bí Thư Bê" in officer_page
    assert len(officer_page.split("<li><time")) - 1 == 4


def test_it_refuses_a_move_by_the_secretary(client_as, org, personas):
    membership = _membership(personas["member_a"])
    client = client_as(personas["secretary_a"])
    page = client.get(reverse("cells:membership", args=[membership.pk]))
    assert 'value="move"' not in page.content.decode()
    response = client.post(
        reverse("cells:membership", args=[membership.pk]), {"action": "move", "to_cell": org["cell_b"].pk}
    )
    assert response.status_code == 403
    assert _membership(personas["member_a"]).cell == org["cell_a"]


def test_it_refuses_a_move_into_a_cell_outside_the_officers_tree(client_as, org, personas):
    membership = _membership(personas["member_a"])
    response = client_as(personas["officer"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "move", "to_cell": org["cell_c"].pk}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert response.context["move_form"].errors
    assert _membership(personas["member_a"]).cell == org["cell_a"]


def test_it_resends_an_invitation_only_while_no_password_is_set(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import user_create_invited
    from cells.services import membership_add

    user = user_create_invited(username="moi", full_name="Người Mới", email="moi@example.org")
    membership = membership_add(actor=None, user=user, cell=org["cell_a"])
    client = client_as(personas["secretary_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cells:invitation_resend", args=[membership.pk]))
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["moi@example.org"]]
    assert client.get(reverse("cells:invitation_resend", args=[membership.pk])).status_code == 405
    # Someone who has a password gets no new link.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cells:invitation_resend", args=[_membership(personas["member_a"]).pk]))
    assert len(mailoutbox) == 1


def test_it_sends_no_invitation_for_an_ended_membership(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import user_create_invited
    from cells.services import membership_add, membership_end

    user = user_create_invited(username="roi", full_name="Đã Rời", email="roi@example.org")
    membership = membership_end(
        actor=None, membership=membership_add(actor=None, user=user, cell=org["cell_a"]), reason="x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_as(personas["secretary_a"]).post(reverse("cells:invitation_resend", args=[membership.pk]))
    assert mailoutbox == []


# --- Home page per role ---------------------------------------------------------------------


def test_it_shows_a_member_their_cell_on_the_home_page(client_as, org, personas):
    response = client_as(personas["member_a"]).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chi bộ A" in html
    assert reverse("cells:unit", args=[org["cell_a"].pk]) in html
    assert reverse("cells:member_import", args=[org["cell_a"].pk]) not in html
    assert "Chi bộ B" not in html


def test_it_shows_the_secretary_the_management_links(client_as, org, personas):
    html = client_as(personas["secretary_a"]).get("/").content.decode()
    assert reverse("cells:member_add", args=[org["cell_a"].pk]) in html
    assert reverse("cells:member_import", args=[org["cell_a"].pk]) in html


def test_it_shows_the_officer_their_node_and_what_is_directly_below(client_as, org, personas):
    html = client_as(personas["officer"]).get("/").content.decode()
    assert reverse("cells:unit", args=[org["committee"].pk]) in html
    for unit in ("cell_a", "cell_b"):  # each with its figures, in the reports' section
        assert reverse("reports:unit", args=[org[unit].pk]) in html
    assert "Chi bộ C" not in html
    assert reverse("cells:tree") in html  # menu link


def test_it_tells_the_outsider_they_are_not_in_a_cell_yet(client_as, personas, settings):
    client = client_as(personas["outsider"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert "Your account is not in a cell yet" in html
    assert reverse("cells:tree") not in html


def test_it_sends_anonymous_visitors_from_home_to_login(client_as, db):
    response = client_as(None).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Query counts ---------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    """Queries of one view with a cold cache: every query the page can make."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["secretary_a", "officer"])
def test_it_renders_the_cell_page_in_a_flat_number_of_queries(client_as, org, personas, persona):
    client = client_as(personas[persona])
    url = reverse("cells:unit", args=[org["cell_a"].pk])
    few = _queries(client, url)
    for i in range(25):
        make_member(f"extra{i}", org["cell_a"], role="deputy" if i == 0 else "member")
    Membership.objects.filter(user__username="extra1").update(ended_on="2024-01-01")
    assert _queries(client, url) == few


def test_it_renders_the_home_page_in_a_flat_number_of_queries(client_as, org, personas):
    client = client_as(personas["secretary_a"])
    few = _queries(client, "/")
    for i in range(25):
        make_member(f"extra{i}", org["cell_a"])
    assert _queries(client, "/") == few


def test_it_renders_the_tree_page_in_a_flat_number_of_queries(client_as, org, personas):
    from cells.models import OrgUnit

    client = client_as(personas["officer"])
    url = reverse("cells:tree")
    committee_url = reverse("cells:unit", args=[org["committee"].pk])
    few, few_committee = _queries(client, url), _queries(client, committee_url)
    for c in range(3):
        committee = OrgUnit.objects.add_child(
            org["committee"], {"name": f"Đảng ủy {c}", "kind": OrgUnit.Kind.COMMITTEE}
        )
        for k in range(4):
            cell = OrgUnit.objects.add_child(committee, {"name": f"Chi bộ {c}-{k}", "kind": OrgUnit.Kind.CELL})
            make_member(f"t{c}{k}", cell)
    assert _queries(client, url) == few
    assert _queries(client, committee_url) == few_committee
