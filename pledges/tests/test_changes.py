"""A resubmitted pledge shows its reviewer what changed since the return, section by section:
escaped, rendered on the server, refused to everyone else."""

import pytest
from django.urls import reverse

from pledges import services
from pledges.diff import diff_html
from pledges.models import Pledge
from pledges.tests.conftest import fill

OLD = ["Kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh.", "Học tập mỗi tháng một chuyên đề.", ""]
NEW = [
    "Kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh; <script>alert(1)</script> không dao động.",
    "Học tập mỗi tháng một chuyên đề.",
    "Nhận giúp đỡ một hộ nghèo & đoàn viên mới.",
]


@pytest.fixture
def resubmitted(submitted, personas):
    member = personas["member_a"]
    returned = services.pledge_return(
        pledge=submitted,
        actor=personas["secretary_a"],
        comment="Viết cụ thể hơn",
        section_comments={submitted.answers.order_by("section__order").first().section_id: "Nêu rõ việc làm"},
    )
    p = services.pledge_save_draft(
        pledge=returned, actor=member, answers=fill(returned, NEW), expected_version=returned.version
    )
    return services.pledge_submit(pledge=p, actor=member, expected_version=p.version)


def test_the_secretary_sees_what_changed_section_by_section(client_as, personas, resubmitted):
    client = client_as(personas["secretary_a"])
    detail = client.get(reverse("pledges:detail", args=[resubmitted.pk])).content.decode()
    url = reverse("pledges:changes", args=[resubmitted.pk])
    assert url in detail  # linked from the pledge
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 mục đã thay đổi" in body  # sections 1 and 3; section 2 is unchanged
    assert "<ins>; &lt;script&gt;alert(1)&lt;/script&gt; không dao động</ins>" in body
    assert "<ins>Nhận giúp đỡ một hộ nghèo &amp; đoàn viên mới.</ins>" in body
    assert "<script>alert(1)</script>" not in body
    assert "Nêu rõ việc làm" in body  # the comment made on that section when it was returned
    assert body.count("chưa thay đổi") >= 1
    assert "<script" not in body.split("<main", 1)[-1].replace("&lt;script", "")  # no script needed


@pytest.mark.parametrize(
    ("name", "status"),
    [("member_a", 403), ("member_b", 404), ("outsider", 404), ("officer", 403)],
)
def test_nobody_else_sees_the_changes(client_as, personas, resubmitted, name, status):
    response = client_as(personas[name]).get(reverse("pledges:changes", args=[resubmitted.pk]))
    assert response.status_code == status
    detail = client_as(personas[name]).get(reverse("pledges:detail", args=[resubmitted.pk]))
    assert reverse("pledges:changes", args=[resubmitted.pk]) not in detail.content.decode()


def test_anonymous_is_sent_to_log_in(client_as, resubmitted):
    response = client_as(None).get(reverse("pledges:changes", args=[resubmitted.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_first_submission_has_no_changes_to_show(client_as, personas, submitted):
    client = client_as(personas["secretary_a"])
    assert (
        reverse("pledges:changes", args=[submitted.pk])
        not in client.get(reverse("pledges:detail", args=[submitted.pk])).content.decode()
    )
    body = client.get(reverse("pledges:changes", args=[submitted.pk])).content.decode()
    assert "chưa được nộp lại" in body


def test_a_reopened_pledge_resubmitted_shows_changes_too(client_as, personas, approved):
    member = personas["member_a"]
    p = services.pledge_reopen(pledge=approved, actor=personas["secretary_a"], reason="Bổ sung")
    p = services.pledge_save_draft(pledge=p, actor=member, answers=fill(p, NEW), expected_version=p.version)
    p = services.pledge_submit(pledge=p, actor=member, expected_version=p.version)
    assert Pledge.objects.get(pk=p.pk).status == Pledge.Status.SUBMITTED
    body = client_as(personas["secretary_a"]).get(reverse("pledges:changes", args=[p.pk])).content.decode()
    assert "<ins>Nhận giúp đỡ một hộ nghèo &amp; đoàn viên mới.</ins>" in body


def test_words_are_compared_not_characters():
    assert str(diff_html("một hai ba", "một bốn ba")) == "một <del>hai</del><ins>bốn</ins> ba"
    assert str(diff_html("<b>", "<i>")) == "&lt;<del>b</del><ins>i</ins>&gt;"
    assert str(diff_html("", "")) == ""
