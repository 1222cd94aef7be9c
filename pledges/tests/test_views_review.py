import csv
import datetime
import io
import zipfile

from django.urls import reverse

from conftest import make_member
from notifications.models import Notification
from pledges import services, similarity
from pledges.models import Pledge
from pledges.tests.conftest import fill

S = Pledge.Status
BASE = (
    "Tôi nguyện tuyệt đối trung thành với mục tiêu lý tưởng của Đảng, kiên định chủ nghĩa Mác - Lê-nin "
    "và tư tưởng Hồ Chí Minh, thường xuyên học tập nâng cao trình độ lý luận chính trị, tích cực đấu tranh "
    "phản bác các quan điểm sai trái, thù địch trên không gian mạng và trong đời sống hằng ngày."
)


def submit_as(user, template, cell, texts):
    p = services.pledge_start(member=user, template=template, cell=cell)
    p = services.pledge_save_draft(pledge=p, actor=user, answers=fill(p, texts), expected_version=p.version)
    return services.pledge_submit(pledge=p, actor=user, expected_version=p.version)


def test_it_approves_from_the_page_and_notifies_the_member(client_as, personas, submitted):
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "approve", "comment": "Đồng ý"}
    )
    assert response.status_code == 302
    assert Pledge.objects.get(pk=submitted.pk).status == S.APPROVED
    note = Notification.objects.get(user=personas["member_a"], kind="pledge.approved")
    assert note.url == reverse("pledges:detail", args=[submitted.pk])


def test_it_returns_with_section_comments_shown_next_to_the_section(client_as, personas, submitted):
    sid = submitted.answers.order_by("section__order").first().section_id
    client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]),
        {"action": "return", "comment": "Chưa cụ thể", f"note-{sid}": "Nêu rõ việc làm"},
    )
    assert Pledge.objects.get(pk=submitted.pk).status == S.RETURNED
    assert Notification.objects.filter(user=personas["member_a"], kind="pledge.returned").exists()
    page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[submitted.pk])).content.decode()
    assert "Nêu rõ việc làm" in page and "Chưa cụ thể" in page
    assert page.index("Nêu rõ việc làm") < page.index(f'name="answer-{sid}"')


def test_it_refuses_a_return_without_any_comment(client_as, personas, submitted):
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return"}
    )
    assert response.status_code == 400  # a validation error, not a conflict (409 is for stale versions)
    assert Pledge.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_it_reopens_with_a_reason(client_as, personas, approved):
    client = client_as(personas["secretary_a"])
    assert client.post(reverse("pledges:reopen", args=[approved.pk]), {"reason": ""}).status_code == 400
    client.post(reverse("pledges:reopen", args=[approved.pk]), {"reason": "Bổ sung"})
    approved.refresh_from_db()
    assert approved.status == S.RETURNED and approved.events.last().comment == "Bổ sung"


def test_it_flags_near_identical_pledges_in_the_queue(client_as, personas, template, org):
    a = submit_as(personas["member_a"], template, org["cell_a"], [BASE, "Học tập chuyên đề hằng tháng đầy đủ."])
    twin = make_member("twin_a", org["cell_a"], full_name="Phạm Thị Sinh Đôi")
    b = submit_as(
        twin, template, org["cell_a"], [BASE.replace("hằng ngày", "hàng ngày"), "Học tập chuyên đề hằng tháng đầy đủ."]
    )
    other = make_member("other_a", org["cell_a"], full_name="Võ Văn Khác")
    submit_as(
        other,
        template,
        org["cell_a"],
        ["Rèn luyện sức khỏe, giữ gìn đoàn kết nội bộ ở khu dân cư.", "Tham gia sinh hoạt đều."],
    )
    page = client_as(personas["secretary_a"]).get(reverse("pledges:queue")).content.decode()
    assert reverse("pledges:compare", args=[min(a.pk, b.pk), max(a.pk, b.pk)]) in page
    assert page.count("Võ Văn Khác") == 1  # listed, not flagged
    detail = client_as(personas["secretary_a"]).get(reverse("pledges:detail", args=[a.pk])).content.decode()
    assert reverse("pledges:compare", args=[a.pk, b.pk]) in detail
    compare = client_as(personas["secretary_a"]).get(reverse("pledges:compare", args=[a.pk, b.pk]))
    assert compare.status_code == 200 and "Phạm Thị Sinh Đôi" in compare.content.decode()


def test_it_scores_similarity_by_shingles():
    a = similarity.fingerprint(BASE)
    assert similarity.jaccard(set(a), set(similarity.fingerprint(BASE.upper()))) == 1.0
    assert similarity.jaccard(set(a), set(similarity.fingerprint("Một văn bản hoàn toàn khác hẳn về nội dung"))) == 0
    pairs = similarity.similar_pairs(
        {1: a, 2: similarity.fingerprint(BASE + " Thêm."), 3: similarity.fingerprint("khác")}
    )
    assert [(p[0], p[1]) for p in pairs] == [(1, 2)]


def test_it_keeps_the_queue_flat_in_queries(client_as, personas, template, org, django_assert_max_num_queries):
    for i in range(8):
        user = make_member(f"m{i}", org["cell_a"])
        submit_as(user, template, org["cell_a"], [BASE + f" {i}" * i, "Học tập"])
    client = client_as(personas["secretary_a"])
    with django_assert_max_num_queries(10):
        page = client.get(reverse("pledges:queue"))
    assert page.content.decode().count('href="/pledges/') >= 8


def test_it_tracks_every_member_with_overdue_marks_and_reminds(client_as, personas, template, org, submitted):
    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    client = client_as(personas["secretary_a"])
    old = client.get(reverse("pledges:tracking", args=[org["cell_a"].pk]) + "?year=2020")
    assert old.status_code == 301 and old["Location"] == reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020"
    page = client.get(old["Location"]).content.decode()
    assert "Đinh Văn Chậm" in page and 'class="tag overdue"' in page  # due 31/03/2020, long past
    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    client.post(remind, {"year": 2020, "item": "pledge"})
    reminded = set(Notification.objects.filter(kind="pledge.reminder").values_list("user__username", flat=True))
    assert reminded == {"late_a"}  # not started; member_a has submitted; the sender is never reminded
    client.post(remind, {"year": 2020, "item": "pledge"})
    assert Notification.objects.filter(kind="pledge.reminder").count() == 1  # not again within the hour


def test_it_zips_the_approved_pledges(client_as, personas, approved, org):
    response = client_as(personas["secretary_a"]).get(reverse("pledges:approved_zip", args=[org["cell_a"].pk, 2020]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 1 and names[0].endswith(".pdf") and archive.read(names[0]).startswith(b"%PDF")


def test_the_committee_counts_are_the_reports_now(client_as, personas, approved, org):
    client = client_as(personas["officer"])
    unit = org["committee"].pk
    page = client.get(reverse("pledges:committee", args=[unit]) + "?year=2020")
    assert page.status_code == 301 and page["Location"] == reverse("reports:unit", args=[unit]) + "?year=2020"
    response = client.get(reverse("pledges:committee_csv", args=[unit, 2020]))
    assert (
        response.status_code == 301 and response["Location"] == reverse("reports:unit_csv", args=[unit]) + "?year=2020"
    )
    body = b"".join(client.get(response["Location"]).streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    by_unit = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    # Chi bộ A: member_a approved, secretary_a never started.
    assert by_unit["Chi bộ A"]["Đảng viên"] == "2" and by_unit["Chi bộ A"]["Bản cam kết đã phê duyệt"] == "1"
    assert by_unit["Chi bộ B"]["Bản cam kết đã nộp"] == "0"


def test_it_lets_the_officer_drill_down_and_read(client_as, personas, approved, org):
    client = client_as(personas["officer"])
    page = client.get(reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020").content.decode()
    assert reverse("pledges:detail", args=[approved.pk]) in page and "remind-button" not in page
    assert reverse("pledges:approved_zip", args=[org["cell_a"].pk, 2020]) in page
    assert client.get(reverse("pledges:detail", args=[approved.pk])).status_code == 200


def test_it_shows_the_members_deadline(client_as, personas, template):
    page = client_as(personas["member_a"]).get(reverse("pledges:mine")).content.decode()
    assert template.due_on.strftime("%d/%m/%Y") in page
    assert datetime.date.today() > template.due_on and "overdue" in page


def test_it_finds_the_same_pairs_as_comparing_every_pair():
    import itertools
    import random

    rng = random.Random(5)
    words = [f"từ{i}" for i in range(300)]
    base = [" ".join(rng.choice(words) for _ in range(rng.randrange(3, 200))) for _ in range(12)]
    texts = list(base)
    for _ in range(10):  # near copies: a few words changed
        copy = rng.choice(base).split()
        for _ in range(rng.randrange(0, 5)):
            copy[rng.randrange(len(copy))] = rng.choice(words)
        texts.append(" ".join(copy))
    fps = {i: similarity.fingerprint(t) for i, t in enumerate(texts)}
    sets = {k: set(v) for k, v in fps.items()}
    for threshold in (0.6, 0.9):
        brute = [
            (a, b, len(sets[a] & sets[b]) / len(sets[a] | sets[b]))
            for a, b in itertools.combinations(sorted(sets), 2)
            if len(sets[a] & sets[b]) / len(sets[a] | sets[b]) >= threshold
        ]
        found = similarity.similar_pairs(fps, threshold)
        assert sorted(found) == sorted(brute) and brute


def test_it_links_the_review_queue_for_the_cells_leaders_only(client_as, personas, template):
    assert b"/pledges/review/" in client_as(personas["secretary_a"]).get("/pledges/").content
    assert b"/pledges/review/" not in client_as(personas["member_a"]).get("/pledges/").content


def _pair(personas, template, org):
    x = submit_as(personas["member_a"], template, org["cell_a"], [BASE, "Học tập chuyên đề hằng tháng đầy đủ."])
    twin = make_member("twin_a", org["cell_a"], full_name="Phạm Thị Sinh Đôi")
    y = submit_as(
        twin, template, org["cell_a"], [BASE.replace("hằng ngày", "hàng ngày"), "Học tập chuyên đề hằng tháng đầy đủ."]
    )
    return x, y


def test_it_keeps_warning_the_other_pledge_after_one_of_a_pair_is_returned(client_as, personas, template, org):
    x, y = _pair(personas, template, org)
    services.pledge_return(pledge=x, actor=personas["secretary_a"], comment="Viết lại bằng lời của mình")
    client = client_as(personas["secretary_a"])
    detail = client.get(reverse("pledges:detail", args=[y.pk])).content.decode()
    assert "similar-warning" in detail and reverse("pledges:compare", args=[y.pk, x.pk]) in detail
    queue = client.get(reverse("pledges:queue")).content.decode()
    assert 'class="tag similar"' in queue


def test_it_keeps_warning_after_the_other_pledge_is_approved(client_as, personas, template, org):
    x, y = _pair(personas, template, org)
    services.pledge_approve(pledge=x, actor=personas["secretary_a"])
    detail = client_as(personas["secretary_a"]).get(reverse("pledges:detail", args=[y.pk])).content.decode()
    assert reverse("pledges:compare", args=[y.pk, x.pk]) in detail


def test_it_never_compares_with_a_draft_never_submitted(client_as, personas, template, org):
    x = submit_as(personas["member_a"], template, org["cell_a"], [BASE, "Học tập chuyên đề hằng tháng đầy đủ."])
    twin = make_member("twin_a", org["cell_a"], full_name="Phạm Thị Sinh Đôi")
    draft = services.pledge_start(member=twin, template=template, cell=org["cell_a"])
    from pledges.tests.conftest import fill

    services.pledge_save_draft(
        pledge=draft,
        actor=twin,
        answers=fill(draft, [BASE, "Học tập chuyên đề hằng tháng đầy đủ."]),
        expected_version=1,
    )
    detail = client_as(personas["secretary_a"]).get(reverse("pledges:detail", args=[x.pk])).content.decode()
    assert "similar-warning" not in detail and "Phạm Thị Sinh Đôi" not in detail


def test_it_shows_a_return_without_comment_next_to_the_box_keeping_the_text(client_as, personas, submitted):
    sid = submitted.answers.order_by("section__order").first().section_id
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return", "comment": "   ", f"note-{sid}": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    box = page[page.index('class="card review-box"') :]
    # The message sits in the review box, right before the comment box.
    assert 'id="err-comment"' in box and box.index('id="err-comment"') < box.index('name="comment"')
    assert 'id="pledge-error"' not in page
    assert Pledge.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_it_keeps_the_secretarys_text_when_a_comment_is_too_long(client_as, personas, submitted):
    sid = submitted.answers.order_by("section__order").first().section_id
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]),
        {"action": "return", "comment": "Nhận xét chung rõ ràng", f"note-{sid}": "x" * 20001},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nhận xét chung rõ ràng</textarea>" in page
    assert f'id="err-note-{sid}"' in page and "x" * 20001 in page


def test_it_answers_409_only_when_someone_decided_meanwhile(client_as, personas, submitted):
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return", "comment": "Sửa lại"}
    )
    assert response.status_code == 409 and "Sửa lại" in response.content.decode()


def test_it_never_reminds_the_leader_who_sends_it_nor_those_approved(client_as, personas, template, org, approved):
    from notifications.models import Notification

    deputy = make_member("deputy_late", org["cell_a"], role="deputy", full_name="Phó Bí Thư Chậm")
    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    client = client_as(deputy)
    client.post(reverse("reports:remind", args=[org["cell_a"].pk]), {"year": 2020, "item": "pledge"})
    reminded = set(Notification.objects.filter(kind="pledge.reminder").values_list("user__username", flat=True))
    assert reminded == {"late_a", "secretary_a"}  # not the deputy who sent it, not member_a (approved)


def test_it_throttles_reminders_in_the_database_and_says_when(client_as, personas, template, org):
    from django.core.cache import cache
    from django.utils import timezone

    from notifications.models import Notification

    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    client = client_as(personas["secretary_a"])
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    client.post(url, {"year": 2020, "item": "pledge"})
    assert Notification.objects.filter(kind="pledge.reminder").count() == 2  # member_a and late_a
    cache.clear()  # another process, a restart, a flushed cache: the limit must still hold
    response = client.post(url, {"year": 2020, "item": "pledge"}, follow=True)
    assert Notification.objects.filter(kind="pledge.reminder").count() == 2
    page = response.content.decode()
    again = timezone.localtime(timezone.now() + timezone.timedelta(hours=1)).strftime("%H:%M")
    assert again in page  # the message says when reminders can be sent again


def _forms_without_novalidate(html: str) -> list[str]:
    import re

    forms = re.findall(r"<form\b[^>]*>", html, flags=re.S)
    assert forms
    return [f for f in forms if "novalidate" not in f]


def test_it_lets_the_server_validate_every_form(client_as, personas, template, org, reviewed):
    from pledges.models import PledgeTemplate

    services.template_create(
        actor=personas["officer"], unit=org["committee"], year=2021, title="Cam kết 2021", due_on=template.due_on
    )
    writer = make_member("writer_a", org["cell_a"])
    draft = services.pledge_start(member=writer, template=template, cell=org["cell_a"])
    other = submit_as(make_member("other_a", org["cell_a"]), template, org["cell_a"], [BASE, "Học tập đầy đủ."])
    approved = submit_as(make_member("ok_a", org["cell_a"]), template, org["cell_a"], [BASE + " Khác.", "Học tập."])
    services.pledge_approve(pledge=approved, actor=personas["secretary_a"])
    secretary, officer = personas["secretary_a"], personas["officer"]
    pages = [
        (writer, reverse("pledges:detail", args=[draft.pk])),  # answers
        (secretary, reverse("pledges:detail", args=[other.pk])),  # approve / return
        (secretary, reverse("pledges:detail", args=[reviewed.pk])),  # rate
        (secretary, reverse("pledges:detail", args=[approved.pk])),  # reopen
        (approved.member, reverse("pledges:detail", args=[approved.pk])),  # self-review
        (personas["member_a"], reverse("pledges:mine")),  # start (2021)
        (secretary, reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020"),  # remind, year picker
        (officer, reverse("pledges:template_edit", args=[PledgeTemplate.objects.get(year=2021).pk])),
        (officer, reverse("reports:unit", args=[org["committee"].pk])),  # year picker
    ]
    for user, url in pages:
        response = client_as(user).get(url)
        assert response.status_code == 200, url
        assert _forms_without_novalidate(response.content.decode()) == [], url


def test_a_refused_return_shows_an_error_summary_at_the_top_with_focus(client_as, personas, submitted):
    # Issue 13: the error was 2,600 px below the top the page reloads at.
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    start = html.index('id="error-summary"')
    summary = html[html.rindex("<div", 0, start) : html.index("</div>", start)]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary
    assert 'href="#id_comment"' in summary
    assert start < html.index('id="id_comment"') and start < html.index("<h2")  # before the form and the text
