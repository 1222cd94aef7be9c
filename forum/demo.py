"""Demo forum: the three 2020 themes of Tỉnh ủy Quảng Trị's forum programme, with some cells
that have concluded a session, some with one under way and some not started.

Written for the demo; every name and opinion is invented. Safe to run again: themes are
found by title and a cell's session is only opened once."""

import datetime

from django.utils import timezone

from cells.models import Membership, OrgUnit
from forum import services
from forum.models import Minutes, Post, Theme, Topic
from forum.selectors import session_participation

THEMES = [
    (
        "Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị trong sạch, vững mạnh "
        "theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
        "Chuyên đề năm 2020 theo Chỉ thị 05-CT/TW. Mỗi chi bộ tổ chức sinh hoạt chuyên đề, liên hệ với nhiệm vụ "
        "của cơ quan, địa phương và đề ra việc làm cụ thể.",
        (datetime.date(2020, 3, 1), datetime.date(2020, 6, 30)),
    ),
    (
        "Nêu cao vai trò, trách nhiệm của cán bộ, đảng viên trong đấu tranh ngăn chặn, đẩy lùi sự suy thoái về "
        "tư tưởng chính trị, đạo đức, lối sống, những biểu hiện 'tự diễn biến', 'tự chuyển hóa' trong nội bộ",
        "Mỗi đảng viên tự liên hệ bản thân, chỉ ra biểu hiện cần khắc phục và biện pháp thực hiện.",
        (datetime.date(2020, 6, 1), datetime.date(2020, 9, 30)),
    ),
    (
        "Diễn đàn chuyên đề thực hiện Nghị quyết 35-NQ/TW ngày 22/10/2018 của Bộ Chính trị",
        "Về tăng cường bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai trái, thù địch "
        "trong tình hình mới.",
        (datetime.date(2020, 9, 1), datetime.date(2020, 12, 15)),
    ),
]

OPENINGS = [
    "Thưa các đồng chí,\n\nThực hiện kế hoạch của Ban Thường vụ Tỉnh ủy, chi bộ tổ chức sinh hoạt chuyên đề "
    "**{theme}**.\n\nBài đề dẫn gồm ba phần:\n\n1. Nội dung cơ bản của chuyên đề;\n2. Thực trạng ở đơn vị "
    "ta;\n3. Những việc làm cụ thể mỗi đồng chí đăng ký thực hiện.\n\nĐề nghị các đồng chí đọc kỹ tài liệu "
    "và phát biểu ý kiến, tập trung vào những việc làm được ngay.",
]

REPLIES = [
    "Tôi thống nhất với bài đề dẫn. Ở bộ phận tôi, việc tiếp dân còn chậm, nhiều hồ sơ phải hẹn lại. "
    "Tôi đề nghị niêm yết rõ thời hạn giải quyết để bà con giám sát.",
    "Theo tôi, *nói đi đôi với làm* là điều quan trọng nhất. Mỗi đảng viên nên đăng ký một việc cụ thể, "
    "cuối quý chi bộ kiểm điểm.",
    "Tôi xin bổ sung: cần gần dân, lắng nghe dân nhiều hơn. Tháng này tôi sẽ về thăm ba hộ khó khăn "
    "trong khu dân cư nơi cư trú.",
    "Đồng chí nói đúng. Tôi nhận thấy bản thân có lúc còn ngại va chạm, chưa thẳng thắn góp ý với đồng "
    "nghiệp. Tôi sẽ khắc phục trong kỳ kiểm điểm tới.",
    "Tôi đề nghị chi bộ lập nhóm Zalo riêng để chia sẻ tài liệu học tập, nhất là cho các đồng chí lớn tuổi "
    "ít có điều kiện đọc trên máy tính.",
    "Về đấu tranh với thông tin sai trái trên mạng: mỗi đảng viên cần tỉnh táo, không chia sẻ tin chưa "
    "kiểm chứng, và khi cần thì báo cáo chi ủy.",
    "Tôi đăng ký: giữ gìn đoàn kết nội bộ, thực hành tiết kiệm, không sử dụng xe công vào việc riêng.",
]

CONCLUSION = (
    "Chi bộ ghi nhận {n} ý kiến phát biểu, sôi nổi và thẳng thắn. Chi bộ thống nhất:\n\n"
    "1. Mỗi đồng chí hoàn thành bản đăng ký việc làm cụ thể trước ngày 15 của tháng sau;\n"
    "2. Chi ủy theo dõi, đánh giá kết quả vào kỳ sinh hoạt cuối quý;\n"
    "3. Giao đồng chí phó bí thư tổng hợp ý kiến, báo cáo Đảng ủy cấp trên."
)

# cell index -> {theme index: "concluded" | "open"}; cells not listed have not started.
PLAN = {
    0: {0: "concluded", 1: "open"},  # Văn phòng Tỉnh ủy: bithu and dangvien discuss theme 2 now
    1: {0: "concluded", 1: "concluded"},
    2: {0: "open"},
    3: {0: "concluded"},
    4: {0: "open"},
}


def _leader(cell: OrgUnit):
    membership = (
        Membership.objects.filter(cell=cell, ended_on__isnull=True, role=Membership.Role.SECRETARY).first()
        or Membership.objects.filter(cell=cell, ended_on__isnull=True, role=Membership.Role.DEPUTY).first()
    )
    return membership.user if membership else None


def _backdate(topic: Topic, start: datetime.datetime, concluded: bool) -> None:
    posts = list(topic.posts.order_by("id"))
    for offset, post in enumerate(posts):
        Post.objects.filter(pk=post.pk).update(created_at=start + datetime.timedelta(hours=3 * offset))
    last = start + datetime.timedelta(hours=3 * max(len(posts) - 1, 0))
    Topic.objects.filter(pk=topic.pk).update(
        created_at=start, last_post_at=last, concluded_at=last if concluded else None
    )
    if concluded:
        topic.refresh_from_db()
        posted, missing = session_participation(topic)
        Minutes.objects.filter(topic=topic).update(participants=len(posted), absentees=len(missing))


def seed(stdout) -> None:
    province = OrgUnit.objects.filter(code="QT", depth=1).first()
    if province is None:
        stdout.write("Forum: no Tỉnh ủy Quảng Trị, nothing to add.")
        return
    from accounts.models import User

    canbo = User.objects.filter(username="canbo").first()
    themes = []
    for order, (title, description, (start, end)) in enumerate(THEMES, start=1):
        theme = Theme.objects.filter(committee=province, year=2020, title=title).first()
        if theme is None:
            theme = services.theme_create(
                actor=canbo,
                committee=province,
                year=2020,
                title=title,
                description=description,
                order=order,
                window_start=start,
                window_end=end,
            )
        themes.append(theme)

    cells = list(OrgUnit.objects.filter(path__startswith=province.path, kind=OrgUnit.Kind.CELL).order_by("path"))
    # The cells' order in cells.demo: Văn phòng Tỉnh ủy first, as PLAN expects.
    order = [
        "Chi bộ Văn phòng Tỉnh ủy",
        "Chi bộ Ban Tuyên giáo và Dân vận",
        "Chi bộ Ban Tổ chức",
        "Chi bộ thôn An Lợi",
        "Chi bộ thôn Phú Hưng",
        "Chi bộ Trường THCS Triệu Phong",
    ]
    by_name = {c.name: c for c in cells}
    cells = [by_name[name] for name in order if name in by_name]
    made = 0
    for cell_index, plan in PLAN.items():
        if cell_index >= len(cells):
            continue
        cell = cells[cell_index]
        leader = _leader(cell)
        if leader is None:
            continue
        members = [
            m.user
            for m in Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user").order_by("id")
            if m.user_id != leader.pk
        ]
        if cell_index == 0:
            # dangvien speaks first in the demo cell, so the persona sees their own post.
            members.sort(key=lambda u: u.username != "dangvien")
        for theme_index, state in plan.items():
            theme = themes[theme_index]
            if Topic.objects.filter(cell=cell, theme=theme).exists():
                continue
            topic = services.session_open(
                actor=leader,
                cell=cell,
                theme=theme,
                opening=OPENINGS[0].format(theme=theme.title),
                meeting_at=(
                    timezone.make_aware(datetime.datetime(2020, 4 + 3 * theme_index, 10, 8, 0))
                    if state == "concluded"
                    else (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=8, minute=0, second=0)
                ),
            )
            speakers = members[: 5 if state == "concluded" else 3]
            for i, speaker in enumerate(speakers):
                services.post_create(
                    actor=speaker, topic=topic, body=REPLIES[(i + cell_index + theme_index) % len(REPLIES)]
                )
            if state == "concluded":
                services.session_conclude(actor=leader, topic=topic, conclusion=CONCLUSION.format(n=len(speakers)))
            start = datetime.datetime(2020, 4 + 3 * theme_index, 2 + cell_index, 8, 0, tzinfo=datetime.UTC)
            _backdate(
                topic,
                start if state == "concluded" else timezone.now() - datetime.timedelta(days=2),
                state == "concluded",
            )
            made += 1
    if cells:
        bithu = _leader(cells[0])
        if bithu and not Topic.objects.filter(cell=cells[0], kind=Topic.Kind.GENERAL).exists():
            services.topic_create(
                actor=bithu,
                cell=cells[0],
                title="Lịch sinh hoạt chi bộ tháng này",
                body="Chi bộ sinh hoạt thường kỳ vào **8 giờ sáng thứ Hai** đầu tháng tại phòng họp tầng 2.",
            )
    stdout.write(f"Forum: {len(themes)} themes, {made} sessions added.")
