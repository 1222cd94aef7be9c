"""Demo pledges: the 2020 template of Tỉnh ủy Quảng Trị and pledges in every state.

Made through the services, so every state has its events and notifications (without e-mail);
idempotent: a member who already has a 2020 pledge is left as they are.
"""

import datetime
import functools
import random
from unittest import mock

from django.utils import timezone

from accounts.models import User
from cells.models import OrgUnit
from notifications.services import notification_send
from pledges import services
from pledges.models import DEFAULT_SECTIONS, Pledge, PledgeEvent, PledgeTemplate

GUIDANCE = [
    "Nêu rõ việc học tập, quán triệt Nghị quyết, Chỉ thị của Đảng; giữ vững lập trường, bản lĩnh chính trị.",
    "Tự soi, tự sửa theo 27 biểu hiện suy thoái (Nghị quyết Trung ương 4 khóa XII); giữ gìn lối sống giản dị.",
    "Các nhiệm vụ chuyên môn cụ thể trong năm, chỉ tiêu phấn đấu.",
    "Chấp hành nguyên tắc tập trung dân chủ, sinh hoạt chi bộ đầy đủ, nêu gương ở nơi làm việc và nơi cư trú.",
    "Chủ đề năm 2020 theo Chỉ thị 05-CT/TW: tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ "
    "thống chính trị trong sạch, vững mạnh. Ghi ít nhất một việc làm cụ thể.",
    "Kế hoạch theo từng quý, cách tự kiểm tra và người giám sát.",
]

POOL = [
    [
        "Kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh; học tập đầy đủ các nghị quyết của Đảng.",
        "Thường xuyên đọc báo Nhân dân, báo Quảng Trị; không chia sẻ thông tin sai trái trên mạng xã hội.",
        "Tham gia đầy đủ các lớp học tập chuyên đề năm 2020 và viết bài thu hoạch nghiêm túc.",
    ],
    [
        "Sống giản dị, trung thực, không vụ lợi; giữ gìn hạnh phúc gia đình, giáo dục con cái chăm ngoan.",
        "Không uống rượu bia trong giờ làm việc; tiết kiệm, chống lãng phí trong chi tiêu của cơ quan.",
        "Khiêm tốn, chân thành, đoàn kết với đồng nghiệp và bà con nơi cư trú.",
    ],
    [
        "Hoàn thành đúng hạn 100% văn bản được giao, không để tồn đọng hồ sơ quá hạn.",
        "Nâng cao chất lượng tham mưu tổng hợp, đề xuất ít nhất hai sáng kiến cải tiến quy trình.",
        "Phối hợp tốt với các phòng, ban; ứng dụng công nghệ thông tin trong xử lý công việc.",
    ],
    [
        "Sinh hoạt chi bộ đầy đủ, đóng đảng phí đúng quy định, thực hiện nghiêm Quy định 08-QĐi/TW.",
        "Giữ mối liên hệ với chi ủy nơi cư trú; gương mẫu chấp hành pháp luật và quy ước khu dân cư.",
        "Tự phê bình và phê bình thẳng thắn, xây dựng; chịu trách nhiệm về việc làm của mình.",
    ],
    [
        "Làm theo Bác về tinh thần đoàn kết: tham gia hòa giải ở khu phố, giúp đỡ hai hộ khó khăn.",
        "Thực hiện phong cách gần dân, trọng dân: tiếp công dân niềm nở, giải quyết kiến nghị đúng hẹn.",
        "Tiết kiệm điện, nước, văn phòng phẩm tại cơ quan; vận động gia đình cùng thực hiện.",
    ],
    [
        "Quý I đăng ký cụ thể; mỗi quý tự kiểm điểm một lần và báo cáo tại buổi sinh hoạt chi bộ.",
        "Nhờ đồng chí tổ trưởng giám sát; cuối năm đối chiếu kết quả với bản cam kết này.",
        "Lập sổ theo dõi việc làm hằng tháng; điều chỉnh kế hoạch khi có nhiệm vụ mới.",
    ],
]

TWIN = [
    "Tuyệt đối trung thành với mục tiêu, lý tưởng của Đảng; kiên định chủ nghĩa Mác - Lê-nin và tư tưởng Hồ Chí "
    "Minh; thường xuyên học tập nâng cao trình độ lý luận chính trị; tích cực đấu tranh phản bác các quan điểm sai "
    "trái, thù địch trên không gian mạng.",
    "Giữ gìn phẩm chất đạo đức cách mạng, sống trung thực, giản dị, không tham ô, lãng phí; không vi phạm những "
    "điều đảng viên không được làm; xây dựng gia đình văn hóa tiêu biểu.",
    "Hoàn thành tốt nhiệm vụ chuyên môn được giao, bảo đảm tiến độ và chất lượng; chủ động tham mưu, đề xuất giải "
    "pháp nâng cao hiệu quả công việc của cơ quan.",
    "Chấp hành nghiêm nguyên tắc tập trung dân chủ, tự phê bình và phê bình; sinh hoạt chi bộ đầy đủ; đóng đảng "
    "phí đúng quy định; gương mẫu nơi công tác và nơi cư trú.",
    "Làm theo tấm gương đạo đức Hồ Chí Minh về cần, kiệm, liêm, chính, chí công vô tư; gần gũi, lắng nghe ý kiến "
    "của nhân dân; tham gia các phong trào ở khu dân cư.",
    "Xây dựng kế hoạch cụ thể theo từng quý; định kỳ tự kiểm tra, đánh giá; cuối năm tự kiểm điểm và báo cáo "
    "kết quả với chi bộ.",
]


def _answers(pledge: Pledge, texts: list[str]) -> dict[int, str]:
    ids = list(pledge.answers.order_by("section__order").values_list("section_id", flat=True))
    return dict(zip(ids, texts, strict=False))


def _texts(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(options, 2)) for options in POOL]


def _drive(user, template, cell, target: str, texts, secretary, rng) -> None:
    p = services.pledge_start(member=user, template=template, cell=cell)
    p = services.pledge_save_draft(pledge=p, actor=user, answers=_answers(p, texts), expected_version=p.version)
    if target == "draft":
        return
    p = services.pledge_submit(pledge=p, actor=user, expected_version=p.version)
    if target == "returned":
        first = _answers(p, ["x"])
        services.pledge_return(
            pledge=p,
            actor=secretary,
            comment="Đề nghị đồng chí viết cụ thể hơn, có chỉ tiêu và thời gian thực hiện.",
            section_comments={next(iter(first)): "Nêu rõ chuyên đề nào, học vào thời gian nào."},
        )
        return
    if target == "submitted":
        return
    p = services.pledge_approve(pledge=p, actor=secretary, comment="Đồng ý với nội dung cam kết.")
    if target == "approved":
        return
    reviews = [f"Đã thực hiện: {t.split(';')[0].split('.')[0].lower()}." for t in texts]
    proposed = rng.choice(["excellent", "good", "good", "done"])
    p = services.pledge_review_save_draft(
        pledge=p, actor=user, reviews=_answers(p, reviews), proposed_rating=proposed, expected_version=p.version
    )
    p = services.pledge_review_submit(pledge=p, actor=user, expected_version=p.version)
    if target == "reviewed":
        return
    services.pledge_rate(pledge=p, actor=secretary, rating=proposed, comment="Chi bộ thống nhất với tự đánh giá.")


# (cell index, username, target state); cells as in cells.demo.TREE, in order
PLAN = [
    (0, "dangvien", "draft"),
    (0, "demo102", "submitted"),  # the near-identical pair, waiting for bithu
    (0, "demo103", "submitted"),
    (0, "demo104", "submitted"),
    (0, "demo105", "returned"),
    (0, "demo106", "approved"),
    (0, "demo107", "reviewed"),
    (0, "demo108", "rated"),
    (3, "dangvien2", "approved"),
    (3, "demo403", "submitted"),
    (3, "demo404", "rated"),
    (3, "demo405", "draft"),
    (1, "demo203", "approved"),
    (1, "demo204", "submitted"),
    (4, "demo503", "rated"),
]


def seed(stdout) -> None:
    province = OrgUnit.get_root_nodes().filter(name="Tỉnh ủy Quảng Trị").first()
    canbo = User.objects.filter(username="canbo").first()
    if province is None or canbo is None:
        return
    template = PledgeTemplate.objects.filter(unit=province, year=2020).first()
    if template is None:
        template = services.template_create(
            actor=canbo,
            unit=province,
            year=2020,
            title="Bản cam kết tu dưỡng, rèn luyện, phấn đấu và đăng ký làm theo tư tưởng, đạo đức, phong cách "
            "Hồ Chí Minh năm 2020",
            intro="Thực hiện Chỉ thị 05-CT/TW của Bộ Chính trị và Nghị quyết Trung ương 4 khóa XII, mỗi đảng viên "
            "xây dựng bản cam kết cho năm 2020.",
            due_on=datetime.date(2020, 3, 31),
            review_opens_on=datetime.date(2020, 11, 15),
            # No closing day: the demo's 2020 is played today, and a closed window would keep
            # visitors from trying the year-end self-review.
            review_closes_on=None,
            sections=[
                {"title": title, "guidance": GUIDANCE[i], "required": True, "min_length": 40}
                for i, title in enumerate(DEFAULT_SECTIONS)
            ],
        )
    cells = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.CELL, path__startswith=province.path).order_by("path"))
    users = {u.username: u for u in User.objects.filter(username__in=[p[1] for p in PLAN] + ["bithu"])}
    rng = random.Random(2020)
    quiet = functools.partial(notification_send, email=False)  # the demo mails nobody
    made = 0
    with mock.patch.object(services, "notification_send", quiet):
        for cell_index, username, target in PLAN:
            user = users.get(username)
            if user is None or cell_index >= len(cells) or Pledge.objects.filter(member=user, year=2020).exists():
                continue
            membership = user.memberships.filter(ended_on__isnull=True).select_related("cell").first()
            if membership is None:
                continue
            cell = membership.cell
            leader = (
                cell.memberships.filter(ended_on__isnull=True, role="secretary").select_related("user").first()
                or cell.memberships.filter(ended_on__isnull=True, role="deputy").select_related("user").first()
            )
            texts = TWIN if username in ("demo102", "demo103") else _texts(rng)
            if username == "demo103":  # a copy with a word or two changed
                texts = [t.replace("thường xuyên", "luôn luôn") for t in texts]
            if username == "dangvien":
                texts = texts[:2]  # a draft half written
            _drive(user, template, cell, target, texts, leader.user, rng)
            made += 1
    # The demo year is 2020: move its timeline there, keeping the order of events.
    start = timezone.make_aware(datetime.datetime(2020, 2, 10, 8, 0))
    events = PledgeEvent.objects.filter(pledge__year=2020, created_at__year__gt=2020).order_by("id")
    for index, event in enumerate(events):
        PledgeEvent.objects.filter(pk=event.pk).update(created_at=start + datetime.timedelta(hours=7 * index))
    stamps = {
        "submitted": "submitted_at",
        "resubmitted": "submitted_at",
        "approved": "approved_at",
        "rated": "rated_at",
    }
    for pledge in Pledge.objects.filter(year=2020, submitted_at__year__gt=2020).prefetch_related("events"):
        fields = {stamps[e.action]: e.created_at for e in pledge.events.all() if e.action in stamps}
        if pledge.approved_at is None:
            fields.pop("approved_at", None)  # reopened since
        Pledge.objects.filter(pk=pledge.pk).update(**fields)
    stdout.write(f"Pledges: template {template.year}, {made} new pledges, {Pledge.objects.count()} in all.")
