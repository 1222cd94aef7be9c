import html
import io
import re

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from pypdf import PdfReader

from conftest import error_summary, summary_links
from pledges import services
from pledges.models import Pledge
from pledges.tests.conftest import close_review

S = Pledge.Status


def section_ids(pledge):
    return list(pledge.answers.order_by("section__order").values_list("section_id", flat=True))


def post_data(pledge, texts, version=None, **extra):
    data = {f"answer-{sid}": text for sid, text in zip(section_ids(pledge), texts, strict=False)}
    data["version"] = pledge.version if version is None else version
    data.update(extra)
    return data


def stored(pledge):
    return list(pledge.answers.order_by("section__order").values_list("text", flat=True))


def test_it_shows_the_current_pledge_and_starts_one(client_as, personas, template):
    client = client_as(personas["member_a"])
    page = client.get(reverse("pledges:mine"))
    assert page.status_code == 200 and "31/03/2020" in page.content.decode()
    response = client.post(reverse("pledges:start"))
    pledge = Pledge.objects.get(member=personas["member_a"])
    assert response.url == reverse("pledges:detail", args=[pledge.pk])
    client.post(reverse("pledges:start"))
    assert Pledge.objects.filter(member=personas["member_a"]).count() == 1
    assert reverse("pledges:detail", args=[pledge.pk]) in client.get(reverse("pledges:mine")).content.decode()


def test_it_saves_a_draft_without_javascript(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    response = client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Một", "Hai"], action="save"))
    assert response.status_code == 302
    assert stored(pledge)[:2] == ["Một", "Hai"]
    page = client.get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert ">\nMột</textarea>" in page


def test_it_autosaves_and_returns_the_new_version(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    response = client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Đang gõ"], autosave="1"))
    assert response.status_code == 200 and response.json()["ok"] is True and response.json()["version"] == 2
    assert stored(pledge)[0] == "Đang gõ"


def test_it_refuses_a_stale_save_from_a_second_tab_and_keeps_the_text(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    url = reverse("pledges:save", args=[pledge.pk])
    assert client.post(url, post_data(pledge, ["Tab một"], version=1, autosave="1")).status_code == 200
    late = client.post(url, post_data(pledge, ["Tab hai <b>quan trọng</b>"], version=1, autosave="1"))
    assert late.status_code == 409 and late.json()["conflict"] is True and "thẻ khác" in late.json()["error"]
    page = client.post(url, post_data(pledge, ["Tab hai <b>quan trọng</b>"], version=1, action="save"))
    content = page.content.decode()
    assert page.status_code == 409
    assert html.escape("Tab hai <b>quan trọng</b>") in content  # the member's text, in the box
    assert "Tab một" in content  # and the saved one beside it
    assert stored(pledge)[0] == "Tab một"  # never silently overwritten
    # The page now carries the stored version: saving again replaces it, knowingly.
    version = re.search(r'name="version" value="(\d+)"', content).group(1)
    client.post(url, post_data(pledge, ["Tab hai"], version=int(version), action="save"))
    assert stored(pledge)[0] == "Tab hai"


def test_it_keeps_the_text_when_submission_fails_validation(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    response = client.post(
        reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["ngắn quá", ""], action="submit")
    )
    content = response.content.decode()
    assert response.status_code == 400
    assert ">\nngắn quá</textarea>" in content
    assert "ít nhất 10 ký tự" in content
    assert 'aria-invalid="true"' in content
    pledge.refresh_from_db()
    assert pledge.status == S.DRAFT and stored(pledge)[0] == "ngắn quá"


def test_it_keeps_text_that_fails_form_validation(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    too_long = "x" * 20001
    response = client.post(
        reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Giữ lại", too_long], action="save")
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert ">\nGiữ lại</textarea>" in content and too_long in content


def test_it_submits_and_the_draft_is_then_locked(client_as, personas, pledge):
    client = client_as(personas["member_a"])
    texts = ["Kiên định lập trường tư tưởng.", "Học tập đầy đủ."]
    client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, texts, action="submit"))
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    late = client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Sửa lén"], action="save"))
    assert late.status_code == 409 and stored(pledge)[0] == texts[0]


def test_it_refuses_editing_an_approved_pledge_on_the_server(client_as, personas, approved):
    client = client_as(personas["member_a"])
    before = stored(approved)
    for extra in ({"action": "save"}, {"action": "submit"}, {"autosave": "1"}):
        response = client.post(reverse("pledges:save", args=[approved.pk]), post_data(approved, ["Sửa"], **extra))
        assert response.status_code == 409
    assert stored(approved) == before
    assert Pledge.objects.get(pk=approved.pk).status == S.APPROVED


def _expire_sessions() -> None:
    """Every session runs out: gone from the database and, as their cache entries time out
    with them (sessions are cached_db), from the cache."""
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import cache

    cache.delete_many([KEY_PREFIX + key for key in Session.objects.values_list("session_key", flat=True)])
    Session.objects.all().delete()


def _login(client, user):
    return client.post(reverse("account_login"), {"login": user.username, "password": "pw-" + user.username})


def test_it_keeps_text_typed_in_an_expired_session_and_saves_it_after_login(client, personas, pledge):
    member = personas["member_a"]
    assert _login(client, member).status_code == 302
    _expire_sessions()  # the session expires while the member is typing
    response = client.post(
        reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Gõ lúc hết phiên"], action="submit")
    )
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert stored(pledge)[0] == ""
    assert _login(client, member).status_code == 302
    page = client.get(reverse("pledges:detail", args=[pledge.pk]), follow=True)
    assert stored(pledge)[0] == "Gõ lúc hết phiên"
    assert ">\nGõ lúc hết phiên</textarea>" in page.content.decode()
    assert Pledge.objects.get(pk=pledge.pk).status == S.DRAFT  # saved, not submitted behind their back


def test_it_answers_an_expired_autosave_with_401_and_keeps_the_text(client, personas, pledge):
    _login(client, personas["member_a"])
    _expire_sessions()
    response = client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Tự lưu"], autosave="1"))
    assert response.status_code == 401 and "login_url" in response.json()
    _login(client, personas["member_a"])
    client.get(reverse("pledges:detail", args=[pledge.pk]))
    assert stored(pledge)[0] == "Tự lưu"


def test_it_never_restores_someones_stashed_text_to_another_user(client, personas, pledge, org):
    from conftest import make_member

    _login(client, personas["member_a"])
    _expire_sessions()
    client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Bí mật"], action="save"))
    other = make_member("other_a", org["cell_a"])
    _login(client, other)
    assert client.get(reverse("pledges:detail", args=[pledge.pk])).status_code == 404
    _login(client, personas["member_a"])
    client.get(reverse("pledges:detail", args=[pledge.pk]))
    assert stored(pledge)[0] == ""  # the stash was dropped, not kept for later


def test_it_exports_a_pdf_with_the_name_and_answers(client_as, personas, submitted):
    texts = ["Kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh.", "Học tập mỗi tháng một chuyên đề."]
    response = client_as(personas["member_a"]).get(reverse("pledges:pdf", args=[submitted.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Nguyễn Văn Ấn" in flat
    for t in texts:
        assert t in flat
    assert "NGƯỜI CAM KẾT" in flat


@pytest.mark.parametrize("year_end", [True])
def test_it_runs_the_year_end_review_through_the_pages(client_as, personas, approved, year_end):
    client = client_as(personas["member_a"])
    ids = section_ids(approved)
    data = {
        f"review-{ids[0]}": "Đã làm",
        f"review-{ids[1]}": "Đã học",
        "proposed_rating": "good",
        "version": approved.version,
    }
    response = client.post(reverse("pledges:self_review", args=[approved.pk]), {**data, "action": "submit"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == S.REVIEWED and approved.proposed_rating == "good"
    secretary = client_as(personas["secretary_a"])
    secretary.post(reverse("pledges:rate", args=[approved.pk]), {"rating": "excellent", "comment": "Gương mẫu"})
    approved.refresh_from_db()
    assert approved.status == S.RATED and approved.rating == "excellent"
    page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[approved.pk])).content.decode()
    assert "Gương mẫu" in page


def test_it_keeps_the_self_review_text_when_incomplete(client_as, personas, approved):
    ids = section_ids(approved)
    response = client_as(personas["member_a"]).post(
        reverse("pledges:self_review", args=[approved.pk]),
        {f"review-{ids[0]}": "Một phần", "version": approved.version, "action": "submit"},
    )
    assert response.status_code == 400
    assert ">\nMột phần</textarea>" in response.content.decode()
    assert approved.answers.get(section_id=ids[0]).review_text == "Một phần"


def test_it_shows_the_timeline(client_as, personas, submitted):
    services.pledge_return(pledge=submitted, actor=personas["secretary_a"], comment="Cần **cụ thể** hơn")
    page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[submitted.pk])).content.decode()
    assert "<strong>cụ thể</strong>" in page
    assert page.count('<li class="event-') == 3


def test_it_keeps_the_detail_page_flat_in_queries(client_as, personas, submitted, django_assert_max_num_queries):
    client = client_as(personas["member_a"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("pledges:detail", args=[submitted.pk])).status_code == 200


def test_it_shows_the_pledge_on_the_home_page(client_as, personas, submitted):
    page = client_as(personas["member_a"]).get(reverse("home")).content.decode()
    assert reverse("pledges:detail", args=[submitted.pk]) in page and "Đã nộp" in page
    leader = client_as(personas["secretary_a"]).get(reverse("home")).content.decode()
    assert "1 bản cam kết chờ duyệt" in leader


def test_it_prints_the_rating_in_vietnamese_for_an_english_reader(client_as, personas, reviewed):
    services.pledge_rate(pledge=reviewed, actor=personas["secretary_a"], rating="excellent")
    member = personas["member_a"]
    member.language = "en"
    member.save()
    response = client_as(member).get(reverse("pledges:pdf", args=[reviewed.pk]))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Chi bộ xếp loại: Hoàn thành xuất sắc nhiệm vụ" in text


def test_it_does_not_park_oversized_posts_from_logged_out_browsers(client, personas, pledge):
    response = client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["x" * 250_000]))
    assert response.status_code == 302
    assert "pledges.stash" not in client.session


def test_it_shows_back_text_typed_on_a_page_that_went_stale(client_as, personas, submitted):
    # The member's other tab still shows the draft form; the pledge was submitted meanwhile.
    response = client_as(personas["member_a"]).post(
        reverse("pledges:save", args=[submitted.pk]), post_data(submitted, ["Viết thêm ở thẻ cũ"], action="save")
    )
    assert response.status_code == 409
    assert ">\nViết thêm ở thẻ cũ</textarea>" in response.content.decode()
    assert stored(submitted)[0] != "Viết thêm ở thẻ cũ"


def test_it_shows_back_a_secretarys_comment_when_the_decision_came_too_late(client_as, personas, approved):
    sid = section_ids(approved)[0]
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[approved.pk]),
        {"action": "return", "comment": "Nhận xét muộn", f"note-{sid}": "Góp ý mục một"},
    )
    content = response.content.decode()
    assert response.status_code == 409
    assert ">\nNhận xét muộn</textarea>" in content and ">\nGóp ý mục một</textarea>" in content


def test_it_forgets_a_parked_copy_once_the_member_saves_from_a_live_page(client, personas, pledge):
    _login(client, personas["member_a"])
    _expire_sessions()
    client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Bản cũ lúc hết phiên"], autosave="1"))
    _login(client, personas["member_a"])  # in another tab; the old tab then saves newer text
    client.post(reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["Bản mới hơn"], action="save"))
    page = client.get(reverse("pledges:detail", args=[pledge.pk]))
    assert page.status_code == 200 and stored(pledge)[0] == "Bản mới hơn"
    assert "Bản cũ lúc hết phiên" not in page.content.decode()


def test_the_page_says_when_the_year_end_review_opens_instead_of_the_form(client_as, personas, approved):
    """The page and the services share one review-window rule (services.review_window_refusal)."""
    import datetime

    from django.utils import timezone

    opens = timezone.localdate() + datetime.timedelta(days=2)
    approved.template.review_opens_on = opens
    approved.template.save(update_fields=["review_opens_on"])
    page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[approved.pk])).content.decode()
    assert f"Phần tự kiểm điểm cuối năm mở từ ngày {opens:%d/%m/%Y}." in page
    assert 'name="proposed_rating"' not in page
    approved.template.review_opens_on = timezone.localdate()
    approved.template.save(update_fields=["review_opens_on"])
    page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[approved.pk])).content.decode()
    assert 'name="proposed_rating"' in page  # open from its first day


def test_it_shows_the_review_window_on_the_page(approved, personas, client_as):
    import datetime

    from django.utils import timezone

    approved.template.review_closes_on = timezone.localdate() + datetime.timedelta(days=3)
    approved.template.save(update_fields=["review_closes_on"])
    page = client_as(personas["member_a"]).get(f"/pledges/{approved.pk}/")
    assert approved.template.review_closes_on.strftime("%d/%m/%Y") in page.content.decode()
    assert b'name="proposed_rating"' in page.content

    closed = close_review(approved)
    page = client_as(personas["member_a"]).get(f"/pledges/{approved.pk}/")
    assert closed.strftime("%d/%m/%Y") in page.content.decode()
    assert b'name="proposed_rating"' not in page.content
    response = client_as(personas["member_a"]).post(
        f"/pledges/{approved.pk}/self-review/",
        {"version": approved.version, "proposed_rating": "good", "action": "submit"},
    )
    assert response.status_code == 409
    approved.refresh_from_db()
    assert approved.status == "approved"


def _anonymous_post(client, pk, text="Gõ lúc hết phiên", cookie=True, ip="10.0.0.1"):
    from django.conf import settings

    if cookie:
        client.cookies[settings.SESSION_COOKIE_NAME] = "expired0session0key0000000000000"
    return client.post(f"/pledges/{pk}/save/", {"version": 1, "action": "save", "answer-1": text}, REMOTE_ADDR=ip)


def test_it_parks_nothing_for_a_post_without_a_session_cookie(client, pledge):
    from django.contrib.sessions.models import Session

    response = _anonymous_post(client, pledge.pk, cookie=False)
    assert response.status_code == 302
    assert Session.objects.count() == 0


def test_it_parks_nothing_for_a_pledge_that_does_not_exist(client, pledge):
    from django.contrib.sessions.models import Session

    assert _anonymous_post(client, pledge.pk + 1000).status_code == 302
    assert Session.objects.count() == 0
    _anonymous_post(client, pledge.pk)
    assert Session.objects.count() == 1


def test_it_parks_nothing_over_50000_characters(client, pledge):
    from django.contrib.sessions.models import Session

    _anonymous_post(client, pledge.pk, text="x" * 60_000)
    assert Session.objects.count() == 0


def test_it_limits_parking_per_ip(client, pledge):
    from django.contrib.sessions.models import Session

    from pledges.views import STASH_LIMIT

    for _ in range(STASH_LIMIT + 5):
        client.cookies.clear()
        _anonymous_post(client, pledge.pk)
    assert Session.objects.count() == STASH_LIMIT
    client.cookies.clear()
    _anonymous_post(client, pledge.pk, ip="10.0.0.2")  # another address is not held back
    assert Session.objects.count() == STASH_LIMIT + 1


def _save(pledge, member, text, version, token="", seq=0):
    from pledges import services
    from pledges.tests.conftest import fill

    return services.pledge_save_draft(
        pledge=pledge,
        actor=member,
        answers=fill(pledge, [text]),
        expected_version=version,
        client_token=token,
        client_seq=seq,
    )


def test_it_accepts_a_save_one_version_behind_from_the_page_that_made_the_newer_one(pledge, personas):
    from pledges.models import PledgeAnswer

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Gõ dở", base, "page-token-1", 1)  # in flight when the page was hidden
    saved = _save(pledge, member, "Gõ dở và chữ cuối", base, "page-token-1", 2)  # the keepalive save
    assert saved.version == base + 2
    assert PledgeAnswer.objects.filter(pledge=pledge).order_by("section__order")[0].text == "Gõ dở và chữ cuối"


def test_it_refuses_a_save_one_version_behind_from_another_page(pledge, personas):
    from pledges import services

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Thẻ một", base, "page-token-1", 1)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Thẻ hai", base, "page-token-2", 1)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Không có mã", base)


def test_it_refuses_the_pages_older_save_arriving_after_its_newer_one(pledge, personas):
    from pledges import services
    from pledges.models import PledgeAnswer

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Bản mới nhất", base, "page-token-1", 5)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Bản cũ hơn", base, "page-token-1", 4)
    assert PledgeAnswer.objects.filter(pledge=pledge).order_by("section__order")[0].text == "Bản mới nhất"


def test_it_refuses_two_versions_behind_or_after_a_transition(submitted, personas):
    from pledges import services

    member = personas["member_a"]
    services.pledge_return(pledge=submitted, actor=personas["secretary_a"], comment="Viết thêm.")
    with pytest.raises(services.StaleVersion):  # the newer version was the return, not this page's save
        _save(submitted, member, "x", submitted.version, "page-token-1", 9)


def test_it_passes_the_pages_token_from_an_autosave_post(client_as, personas, pledge):
    section = pledge.answers.order_by("section__order")[0].section_id
    client = client_as(personas["member_a"])
    url = f"/pledges/{pledge.pk}/save/"
    base = pledge.version

    def post(text, token, seq):
        data = {"version": base, "autosave": "1", f"answer-{section}": text, "client_token": token, "client_seq": seq}
        return client.post(url, data)

    assert post("Một", "page-token-1", 1).status_code == 200
    response = post("Một hai", "page-token-1", 2)
    assert response.status_code == 200 and response.json()["version"] == base + 2
    assert post("Ba", "page-token-2", 1).status_code == 409
    assert post("Bốn", "bad token!", 3).status_code == 409  # not a token: an ordinary stale save


def test_it_answers_an_autosave_with_a_24_hour_time(client_as, personas, pledge):
    import re

    from django.utils import timezone

    sid = pledge.answers.order_by("section__order").first().section_id
    response = client_as(personas["member_a"]).post(
        reverse("pledges:save", args=[pledge.pk]), {"version": 1, f"answer-{sid}": "Đang gõ", "autosave": "1"}
    )
    saved_at = response.json()["saved_at"]
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", saved_at)
    assert saved_at[:2] == timezone.localtime().strftime("%H") or saved_at[:2] == "00"  # local, 24-hour


def test_a_refused_submission_is_summed_up_at_the_top_linking_to_each_section(client_as, personas, pledge):
    # Issue 13: the pledge edit form gets the same summary as the review form.
    ids = section_ids(pledge)
    response = client_as(personas["member_a"]).post(
        reverse("pledges:save", args=[pledge.pk]), post_data(pledge, ["ngắn quá", ""], action="submit")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == [f"id_answer-{ids[0]}", f"id_answer-{ids[1]}"]
    assert "ít nhất 10 ký tự" in error_summary(page)
    assert ">\nngắn quá</textarea>" in page


def test_a_refused_self_review_is_summed_up_at_the_top(client_as, personas, approved):
    ids = section_ids(approved)
    data = {f"review-{ids[0]}": "Đã làm", "version": approved.version, "action": "submit"}
    response = client_as(personas["member_a"]).post(reverse("pledges:self_review", args=[approved.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    links = summary_links(page)
    assert f"id_review-{ids[1]}" in links and "id_proposed_rating" in links
    assert ">\nĐã làm</textarea>" in page
