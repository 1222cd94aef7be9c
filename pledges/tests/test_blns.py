"""The Big List of Naughty Strings (testdata/blns.json, MIT licence in blns.LICENSE) in every
text field: stored as written (after the NFC/newline normalisation every stored text gets),
shown back exactly in the boxes, and never a 500."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from core.markup import normalize
from pledges import services
from pledges.models import Pledge, PledgeAnswer

BLNS = json.loads((Path(settings.BASE_DIR) / "testdata" / "blns.json").read_text(encoding="utf-8"))
WIDTH = 52  # sections per template: the whole list in ten posts


def chunks():
    return [BLNS[i : i + WIDTH] for i in range(0, len(BLNS), WIDTH)]


@pytest.fixture
def wide(personas, org):
    return services.template_create(
        actor=personas["officer"],
        unit=org["committee"],
        year=2021,
        title="Mẫu rộng",
        due_on=datetime.date(2021, 3, 1),
        sections=[{"title": f"Mục {i}", "required": False, "min_length": 0} for i in range(WIDTH)],
    )


def test_it_stores_and_shows_back_every_naughty_answer(client_as, personas, org, wide):
    member = personas["member_a"]
    pledge = services.pledge_start(member=member, template=wide, cell=org["cell_a"])
    ids = list(pledge.answers.order_by("section__order").values_list("section_id", flat=True))
    client = client_as(member)
    for n, chunk in enumerate(chunks()):
        pledge.refresh_from_db()
        data = {f"answer-{sid}": s for sid, s in zip(ids, chunk, strict=False)}
        data["version"] = pledge.version
        data["autosave" if n % 2 else "action"] = "1" if n % 2 else "save"
        response = client.post(reverse("pledges:save", args=[pledge.pk]), data)
        assert response.status_code in (200, 302), chunk
        stored = dict(PledgeAnswer.objects.filter(pledge=pledge).values_list("section_id", "text"))
        page = client.get(reverse("pledges:detail", args=[pledge.pk]))
        assert page.status_code == 200
        content = page.content.decode()
        for sid, s in zip(ids, chunk, strict=False):
            assert stored[sid] == normalize(s), s
            assert f">\n{escape(normalize(s))}</textarea>" in content, s
        pdf = client.get(reverse("pledges:pdf", args=[pledge.pk]))
        assert pdf.status_code == 200 and len(PdfReader(io.BytesIO(pdf.content)).pages) >= 1


def test_it_survives_naughty_comments_reviews_and_ratings(client_as, personas, org, wide):
    member, secretary = personas["member_a"], personas["secretary_a"]
    pledge = services.pledge_start(member=member, template=wide, cell=org["cell_a"])
    ids = list(pledge.answers.order_by("section__order").values_list("section_id", flat=True))
    for chunk in chunks():
        pledge = services.pledge_submit(pledge=pledge, actor=member, expected_version=pledge.version)
        data = {f"note-{sid}": s for sid, s in zip(ids, chunk, strict=False)}
        data.update(action="return", comment="\n".join(chunk))
        assert client_as(secretary).post(reverse("pledges:decide", args=[pledge.pk]), data).status_code == 302
        event = pledge.events.last()
        assert event.comment == normalize("\n".join(chunk))
        assert [n["text"] for n in event.section_comments] == [normalize(s) for s in chunk if s.strip()]
        assert client_as(member).get(reverse("pledges:detail", args=[pledge.pk])).status_code == 200
        pledge.refresh_from_db()
    pledge = services.pledge_submit(pledge=pledge, actor=member, expected_version=pledge.version)
    pledge = services.pledge_approve(pledge=pledge, actor=secretary)
    client = client_as(member)
    for chunk in chunks():
        pledge.refresh_from_db()
        data = {f"review-{sid}": s for sid, s in zip(ids, chunk, strict=False)}
        data.update(version=pledge.version, proposed_rating="good", action="save")
        assert client.post(reverse("pledges:self_review", args=[pledge.pk]), data).status_code == 302
        stored = dict(PledgeAnswer.objects.filter(pledge=pledge).values_list("section_id", "review_text"))
        content = client.get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
        for sid, s in zip(ids, chunk, strict=False):
            assert stored[sid] == normalize(s)
            assert f">\n{escape(normalize(s))}</textarea>" in content, s
    pledge.refresh_from_db()
    client.post(
        reverse("pledges:self_review", args=[pledge.pk]),
        {
            **{f"review-{sid}": "x" for sid in ids},
            "version": pledge.version,
            "proposed_rating": "good",
            "action": "submit",
        },
    )
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.REVIEWED
    comment = "\n".join(BLNS[:200])
    response = client_as(secretary).post(
        reverse("pledges:rate", args=[pledge.pk]), {"rating": "done", "comment": comment}
    )
    assert response.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).rating_comment == normalize(comment)
    assert client_as(secretary).get(reverse("pledges:pdf", args=[pledge.pk])).status_code == 200


def test_it_survives_naughty_reopen_reasons(client_as, personas, approved):
    reason = "\n".join(BLNS[200:400])
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:reopen", args=[approved.pk]), {"reason": reason}
    )
    assert response.status_code == 302
    assert approved.events.last().comment == normalize(reason)


def test_it_shows_naughty_template_text_exactly(client_as, personas, org):
    for index, chunk in enumerate(chunks()[:3]):
        template = services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2030 + index,
            title=chunk[1] or "t",
            intro="\n".join(chunk),
            due_on=datetime.date(2030, 1, 1),
            sections=[{"title": s or "x", "guidance": s, "required": False} for s in chunk],
        )
        pledge = services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])
        page = client_as(personas["member_a"]).get(reverse("pledges:detail", args=[pledge.pk]))
        assert page.status_code == 200
        content = page.content.decode()
        for s in chunk:
            if s.strip():
                assert escape(normalize(s)) in content, s
