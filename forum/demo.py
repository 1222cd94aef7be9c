"""Demo forum: the three 2020 themes of Tỉnh ủy Quảng Trị's forum programme, with some cells
that have concluded a session, some with one under way and some not started.

Written for the demo; every name and opinion is invented. Safe to run again: themes are
found by title and a cell's session is only opened once."""

import datetime

from django.utils import timezone

from cells.models import Membership, OrgUnit
from forum import services
from forum.models import Minutes, Post, Theme, Topic
from forum.selectors import attendance_count, meeting_attendance

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
        _recount(topic)


def _recount(topic: Topic) -> None:
    """The minutes' stored counts again, for the members at the backdated conclusion."""
    topic.refresh_from_db()
    count = attendance_count(meeting_attendance(topic))
    Minutes.objects.filter(topic=topic).update(participants=count.present, excused=count.excused, absentees=count.away)


ABSENCE_REASONS = ["Đi công tác tại Hà Nội", "Ốm, có giấy của trạm y tế", "Chăm người nhà nằm viện"]


def _hold_the_record(topic: Topic, leader, members: list, speakers: list) -> None:
    """What the meeting's secretary records: a notice of absence, the roll call and a vote,
    so the minutes show every part."""
    secretary = topic.meeting_secretary or leader
    quiet = [m for m in members if m not in speakers]
    if quiet:
        services.absence_declare(actor=quiet[0], topic=topic, reason=ABSENCE_REASONS[topic.pk % 3])
    entries = {leader.pk: ("present", "")}
    entries |= {m.pk: ("present", "") for m in speakers}
    if quiet:
        entries[quiet[0].pk] = ("excused", ABSENCE_REASONS[topic.pk % 3])
    entries |= {m.pk: ("absent", "") for m in quiet[1:]}
    services.attendance_record(actor=secretary, topic=topic, entries=entries)
    motion = services.motion_open(
        actor=secretary,
        topic=topic,
        text="Thông qua kế hoạch thực hiện chuyên đề của chi bộ năm 2020",
        options=["Tán thành", "Không tán thành", "Ý kiến khác"],
    )
    for index, voter in enumerate([leader, *speakers]):
        services.ballot_cast(actor=voter, motion=motion, choice=2 if index == 3 else 0)
    services.motion_close(actor=secretary, motion=motion)


MONTHLY = "Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020"


def _monthly_meeting(cell: OrgUnit, leader, members: list) -> bool:
    """A concluded monthly meeting with a notice, the roll call, an open and a secret vote."""
    if not members or Topic.objects.filter(cell=cell, kind=Topic.Kind.MEETING, title=MONTHLY).exists():
        return False
    start = datetime.datetime(2020, 12, 7, 0, 30, tzinfo=datetime.UTC)  # 07:30 in Hà Nội
    topic = services.meeting_schedule(
        actor=leader,
        cell=cell,
        title=MONTHLY,
        meeting_at=start,
        place="Phòng họp tầng 2",
        online_url="https://meet.jit.si/chibo-van-phong-2020-12",
        agenda="1. Kiểm điểm việc thực hiện nhiệm vụ tháng 11;\n2. Phương hướng nhiệm vụ tháng 12;\n"
        "3. Xét đề nghị kết nạp quần chúng ưu tú.",
        chair=leader,
        meeting_secretary=members[0],
    )
    speakers = members[:4]
    for i, speaker in enumerate(speakers[:2]):
        services.post_create(actor=speaker, topic=topic, body=REPLIES[i])
    _hold_the_record(topic, leader, members, speakers)
    secret = services.motion_open(
        actor=members[0],
        topic=topic,
        text="Đề nghị kết nạp quần chúng Lê Văn Tâm vào Đảng",
        options=["Đồng ý", "Không đồng ý"],
        secret=True,
    )
    for voter in [leader, *speakers]:
        services.ballot_cast(actor=voter, motion=secret, choice=0)
    services.motion_close(actor=members[0], motion=secret)
    services.session_conclude(
        actor=leader,
        topic=topic,
        conclusion="Chi bộ thống nhất:\n\n1. Hoàn thành nhiệm vụ tháng 11;\n2. Tập trung nhiệm vụ tháng 12:\n"
        "   - tổng kết công tác năm;\n   - chuẩn bị kiểm điểm, đánh giá đảng viên cuối năm.",
    )
    end = start + datetime.timedelta(hours=2, minutes=15)
    Post.objects.filter(topic=topic).update(created_at=start + datetime.timedelta(minutes=40))
    Topic.objects.filter(pk=topic.pk).update(created_at=start - datetime.timedelta(days=5), concluded_at=end)
    _recount(topic)
    return True


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
            # A concluded session met on its first day (the minutes' time), before the discussion ended.
            start = datetime.datetime(2020, 4 + 3 * theme_index, 2 + cell_index, 1, 0, tzinfo=datetime.UTC)
            topic = services.session_open(
                actor=leader,
                cell=cell,
                theme=theme,
                opening=OPENINGS[0].format(theme=theme.title),
                meeting_at=(
                    start
                    if state == "concluded"
                    else (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=8, minute=0, second=0)
                ),
                place="Phòng họp tầng 2" if cell_index < 3 else "Nhà văn hóa thôn",
                agenda="1. Đồng chí bí thư trình bày bài đề dẫn;\n2. Đảng viên thảo luận;\n3. Biểu quyết, kết luận.",
                chair=leader,
                meeting_secretary=members[0] if members else None,
            )
            speakers = members[: 5 if state == "concluded" else 3]
            for i, speaker in enumerate(speakers):
                services.post_create(
                    actor=speaker, topic=topic, body=REPLIES[(i + cell_index + theme_index) % len(REPLIES)]
                )
            if state == "concluded":
                _hold_the_record(topic, leader, members, speakers)
                services.session_conclude(actor=leader, topic=topic, conclusion=CONCLUSION.format(n=len(speakers)))
            _backdate(
                topic,
                start if state == "concluded" else timezone.now() - datetime.timedelta(days=2),
                state == "concluded",
            )
            made += 1
    if cells and (bithu := _leader(cells[0])):
        members = [
            m.user
            for m in Membership.objects.filter(cell=cells[0], ended_on__isnull=True)
            .select_related("user")
            .order_by("id")
            if m.user_id != bithu.pk
        ]
        members.sort(key=lambda u: u.username != "dangvien")
        made += _monthly_meeting(cells[0], bithu, members)
    if cells:
        bithu = _leader(cells[0])
        if bithu and not Topic.objects.filter(cell=cells[0], kind=Topic.Kind.GENERAL).exists():
            services.topic_create(
                actor=bithu,
                cell=cells[0],
                title="Lịch sinh hoạt chi bộ tháng này",
                body="Chi bộ sinh hoạt thường kỳ vào **8 giờ sáng thứ Hai** đầu tháng tại phòng họp tầng 2.",
            )
    stdout.write(f"Forum: {len(themes)} themes, {made} sessions and meetings added.")
