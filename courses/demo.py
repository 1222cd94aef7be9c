# ruff: noqa: E501 -- lesson prose and questions are kept one paragraph per line
"""Demo study module: the 2020 topic under Chỉ thị 05-CT/TW, published by Tỉnh ủy Quảng Trị.

Several members have completed it (with certificates), some are part way, `dangvien` has not
started, so the demo shows every state. Idempotent: a second run changes nothing.
"""

import datetime
import random

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from cells.models import Membership, OrgUnit
from courses import services
from courses.models import Certificate, CertificateSigner, Choice, Lesson, Module, Question

TITLE = (
    "Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị trong sạch, "
    "vững mạnh theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
)

SUMMARY = """Chuyên đề học tập năm 2020 theo **Chỉ thị 05-CT/TW** ngày 15/5/2016 của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.

Chuyên đề do Tỉnh ủy Quảng Trị ban hành cho các chi bộ thuộc Đảng ủy các cơ quan Đảng tỉnh. Mỗi đảng viên đọc bốn bài học, làm bài trắc nghiệm (đạt từ 80% trở lên) và nhận giấy chứng nhận của Tỉnh ủy."""

LESSONS = [
    (
        "Bài 1. Tư tưởng Hồ Chí Minh về đại đoàn kết toàn dân tộc",
        """Đại đoàn kết toàn dân tộc là tư tưởng xuyên suốt trong cuộc đời hoạt động cách mạng của Chủ tịch Hồ Chí Minh. Người khẳng định: *“Đoàn kết, đoàn kết, đại đoàn kết. Thành công, thành công, đại thành công.”*

Theo Người, đại đoàn kết là **vấn đề chiến lược**, quyết định thành công của cách mạng, không phải là thủ đoạn chính trị nhất thời. Lực lượng của khối đại đoàn kết là toàn dân, lấy liên minh công nhân – nông dân – trí thức làm nền tảng, do Đảng lãnh đạo.

Hình thức tổ chức của khối đại đoàn kết là **Mặt trận dân tộc thống nhất**, ngày nay là Mặt trận Tổ quốc Việt Nam. Ngày 18 tháng 11 hằng năm là Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư.

Trong Di chúc, Người căn dặn: *“Đoàn kết là một truyền thống cực kỳ quý báu của Đảng và của dân ta. Các đồng chí từ Trung ương đến các chi bộ cần phải giữ gìn sự đoàn kết nhất trí của Đảng như giữ gìn con ngươi của mắt mình.”*""",
    ),
    (
        "Bài 2. Xây dựng Đảng trong sạch, vững mạnh theo tư tưởng Hồ Chí Minh",
        """Chủ tịch Hồ Chí Minh dạy: *“Đảng ta là đạo đức, là văn minh.”* Đảng phải thường xuyên tự chỉnh đốn, lấy **tự phê bình và phê bình** làm quy luật phát triển.

Người đặc biệt coi trọng đạo đức cách mạng của cán bộ, đảng viên: **cần, kiệm, liêm, chính, chí công vô tư**. Cán bộ, đảng viên phải nói đi đôi với làm, nêu gương trước quần chúng.

Nghị quyết Trung ương 4 khóa XII về tăng cường xây dựng, chỉnh đốn Đảng chỉ rõ 27 biểu hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống, “tự diễn biến”, “tự chuyển hóa” trong nội bộ; mỗi đảng viên cần đối chiếu để tự soi, tự sửa.

Ở chi bộ, sinh hoạt định kỳ phải nền nếp, có chất lượng; sinh hoạt chuyên đề ít nhất mỗi quý một lần.""",
    ),
    (
        "Bài 3. Xây dựng hệ thống chính trị trong sạch, vững mạnh",
        """Hệ thống chính trị ở nước ta gồm Đảng Cộng sản Việt Nam, Nhà nước, Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị – xã hội. Đảng vừa là một bộ phận, vừa là **hạt nhân lãnh đạo** của cả hệ thống.

Chủ tịch Hồ Chí Minh nhấn mạnh xây dựng Nhà nước của dân, do dân, vì dân; cán bộ là “đầy tớ”, là “công bộc” của nhân dân. Người nhắc: *“Dễ trăm lần không dân cũng chịu, khó vạn lần dân liệu cũng xong.”*

Để hệ thống chính trị trong sạch, vững mạnh cần phát huy dân chủ ở cơ sở, thực hiện phương châm “dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng”, kiên quyết đấu tranh phòng, chống tham nhũng, lãng phí, quan liêu.""",
    ),
    (
        "Bài 4. Liên hệ thực tiễn ở Quảng Trị và trách nhiệm của đảng viên",
        """Quảng Trị là mảnh đất giàu truyền thống cách mạng. Phát huy sức mạnh đại đoàn kết, các cấp ủy đã gắn việc học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh với các phong trào thi đua như xây dựng nông thôn mới, đô thị văn minh, cải cách hành chính.

Mỗi đảng viên cần:

- đăng ký nội dung làm theo gắn với nhiệm vụ được giao và kiểm điểm việc thực hiện cuối năm;
- gần dân, lắng nghe và giải quyết kịp thời ý kiến, kiến nghị chính đáng của nhân dân;
- giữ gìn đoàn kết trong chi bộ, cơ quan, khu dân cư;
- nêu gương về đạo đức, lối sống, trước hết là người đứng đầu.

Việc học tập chuyên đề chỉ có ý nghĩa khi được chuyển hóa thành hành động cụ thể, thiết thực trong công việc hằng ngày.""",
    ),
]

# (kind, question, [(choice, correct)], explanation)
QUESTIONS = [
    (
        "single",
        "Chỉ thị 05-CT/TW của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh được ban hành năm nào?",
        [("2011", False), ("2016", True), ("2019", False), ("2021", False)],
        "Chỉ thị 05-CT/TW được ban hành ngày 15/5/2016.",
    ),
    (
        "single",
        "Chuyên đề học tập năm 2020 có chủ đề gì?",
        [
            ("Trách nhiệm nêu gương của cán bộ, đảng viên", False),
            (
                "Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị trong sạch, vững mạnh",
                True,
            ),
            ("Xây dựng ý thức tôn trọng nhân dân, phát huy dân chủ", False),
        ],
        "Chuyên đề năm 2020 là về đại đoàn kết toàn dân tộc và xây dựng Đảng, hệ thống chính trị trong sạch, vững mạnh.",
    ),
    (
        "single",
        "Theo Chủ tịch Hồ Chí Minh, đại đoàn kết toàn dân tộc là vấn đề có ý nghĩa như thế nào?",
        [
            ("Sách lược tạm thời", False),
            ("Vấn đề chiến lược, quyết định thành công của cách mạng", True),
            ("Thủ đoạn chính trị", False),
        ],
        "Người coi đại đoàn kết là vấn đề chiến lược, không phải thủ đoạn nhất thời.",
    ),
    (
        "single",
        "Hình thức tổ chức của khối đại đoàn kết toàn dân tộc ngày nay là gì?",
        [("Mặt trận Tổ quốc Việt Nam", True), ("Quốc hội", False), ("Hội Nông dân Việt Nam", False)],
        "Mặt trận dân tộc thống nhất, nay là Mặt trận Tổ quốc Việt Nam.",
    ),
    (
        "single",
        "Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư được tổ chức vào ngày nào hằng năm?",
        [("2 tháng 9", False), ("3 tháng 2", False), ("18 tháng 11", True), ("19 tháng 5", False)],
        "Ngày 18/11 là ngày truyền thống của Mặt trận, cũng là Ngày hội Đại đoàn kết toàn dân tộc.",
    ),
    (
        "multiple",
        "Những phẩm chất nào thuộc đạo đức cách mạng mà Chủ tịch Hồ Chí Minh nêu?",
        [("Cần, kiệm", True), ("Liêm, chính", True), ("Chí công vô tư", True), ("Tự do vô kỷ luật", False)],
        "Cần, kiệm, liêm, chính, chí công vô tư là các chuẩn mực đạo đức Người nêu.",
    ),
    (
        "single",
        "Theo Chủ tịch Hồ Chí Minh, quy luật phát triển của Đảng là gì?",
        [("Tự phê bình và phê bình", True), ("Mở rộng số lượng đảng viên", False), ("Tập trung quyền lực", False)],
        "Người coi tự phê bình và phê bình là quy luật phát triển của Đảng.",
    ),
    (
        "single",
        "Nghị quyết Trung ương 4 khóa XII chỉ ra bao nhiêu biểu hiện suy thoái, “tự diễn biến”, “tự chuyển hóa”?",
        [("9", False), ("19", False), ("27", True), ("30", False)],
        "Nghị quyết nêu 27 biểu hiện để cán bộ, đảng viên tự soi, tự sửa.",
    ),
    (
        "multiple",
        "Hệ thống chính trị ở nước ta gồm những thành phần nào?",
        [
            ("Đảng Cộng sản Việt Nam", True),
            ("Nhà nước", True),
            ("Mặt trận Tổ quốc và các tổ chức chính trị – xã hội", True),
            ("Các doanh nghiệp tư nhân", False),
        ],
        "Hệ thống chính trị gồm Đảng, Nhà nước, Mặt trận Tổ quốc và các tổ chức chính trị – xã hội.",
    ),
    (
        "single",
        "Câu “Dễ trăm lần không dân cũng chịu, khó vạn lần dân liệu cũng xong” nói lên điều gì?",
        [("Sức mạnh của nhân dân", True), ("Vai trò của khoa học", False), ("Tầm quan trọng của kinh tế", False)],
        "Câu nói khẳng định sức mạnh to lớn của nhân dân khi được tập hợp, đoàn kết.",
    ),
    (
        "single",
        "Sinh hoạt chuyên đề của chi bộ được tổ chức ít nhất bao lâu một lần?",
        [("Mỗi tháng", False), ("Mỗi quý", True), ("Mỗi năm", False)],
        "Chi bộ sinh hoạt chuyên đề ít nhất mỗi quý một lần.",
    ),
    (
        "multiple",
        "Đảng viên cần làm gì để học tập và làm theo Bác có hiệu quả?",
        [
            ("Đăng ký nội dung làm theo gắn với nhiệm vụ được giao", True),
            ("Gần dân, lắng nghe ý kiến của nhân dân", True),
            ("Chỉ học lý thuyết, không cần liên hệ thực tế", False),
            ("Nêu gương về đạo đức, lối sống", True),
        ],
        "Học tập phải gắn với hành động cụ thể, nêu gương và gần dân.",
    ),
    (
        "single",
        "Trong Di chúc, Chủ tịch Hồ Chí Minh căn dặn phải giữ gìn sự đoàn kết nhất trí của Đảng như giữ gìn gì?",
        [("Con ngươi của mắt mình", True), ("Tài sản quý giá nhất", False), ("Truyền thống gia đình", False)],
        "“...như giữ gìn con ngươi của mắt mình.”",
    ),
]


def _document_pdf() -> bytes:
    """A short PDF of the directive's key points, drawn here so the demo ships no binary."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from core.pdf import SERIF, SERIF_BOLD, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(SERIF_BOLD, 14)
    canvas.drawString(72, 770, "Chỉ thị 05-CT/TW – những điểm chính (tài liệu minh họa)")
    canvas.setFont(SERIF, 11)
    y = 740
    for line in DOCUMENT_LINES:
        canvas.drawString(72, y, line)
        y -= 18
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


DOCUMENT_LINES = [
    "1. Ban hành ngày 15/5/2016, Bộ Chính trị khóa XII.",
    "2. Đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.",
    "3. Gắn với thực hiện Nghị quyết Trung ương 4 khóa XII về xây dựng, chỉnh đốn Đảng.",
    "4. Người đứng đầu nêu gương; mỗi đảng viên đăng ký nội dung làm theo hằng năm.",
    "5. Chuyên đề năm 2020: đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị.",
]


def _module(province: OrgUnit, audience: OrgUnit) -> Module:
    module = Module.objects.filter(issuer=province, year=2020, title=TITLE).first()
    if module is not None:
        return module
    module = services.module_save(
        module=Module(
            year=2020,
            directive="Chỉ thị 05-CT/TW",
            title=TITLE,
            summary=SUMMARY,
            audience=audience,
            issuer=province,
            due_on=datetime.date(2020, 12, 31),
            pass_mark=80,
            attempts_allowed=0,
            questions_per_attempt=10,
            show_answers=True,
            certificate_enabled=True,
        )
    )
    for position, (title, body) in enumerate(LESSONS, start=1):
        lesson = services.lesson_save(lesson=Lesson(module=module, position=position, title=title, body=body))
        if position == 1:
            services.document_add(
                lesson=lesson,
                title="Chỉ thị 05-CT/TW – những điểm chính",
                file=ContentFile(_document_pdf(), name="chi-thi-05.pdf"),
            )
    for position, (kind, text, choices, explanation) in enumerate(QUESTIONS, start=1):
        services.question_save(
            question=Question(module=module, position=position, kind=kind, text=text, explanation=explanation),
            choices=choices,
        )
    # Published once its lessons and questions are in (the service refuses an empty module).
    module.publish_from = datetime.datetime(2020, 3, 1, tzinfo=datetime.UTC)
    return services.module_save(module=module)


def _answers(attempt, right: bool) -> dict[int, list[int]]:
    answers = {}
    for qid in attempt.question_ids:
        choices = list(Choice.objects.filter(question_id=qid))
        pick = [c.pk for c in choices if c.is_correct == right]
        answers[qid] = pick if right else pick[:1]
    return answers


def seed(stdout) -> None:
    province = OrgUnit.objects.filter(depth=1, code="QT").first()
    if province is None:
        stdout.write("Courses: no Tỉnh ủy Quảng Trị, skipped.")
        return
    # Published by the Tỉnh ủy (it issues the certificates) to the Party agencies' bloc, where
    # bithu and dangvien are; dangvien2's commune cell is outside it, which the demo shows.
    audience = OrgUnit.objects.filter(path__startswith=province.path, depth=province.depth + 1, code="CQD").first()
    # The demo committee officer authors modules in the admin.
    User.objects.filter(username="canbo", is_staff=False).update(is_staff=True)
    # Who signs the Tỉnh ủy's certificates (a site admin sets it in the admin; no scans in the demo).
    CertificateSigner.objects.get_or_create(
        unit=province, defaults={"title": "PHÓ BÍ THƯ THƯỜNG TRỰC", "name": "Trần Văn Thành"}
    )
    module = _module(province, audience or province)
    if module.attempts.exists():
        stdout.write("Courses: demo module already studied, nothing to add.")
        return
    rng = random.Random(2020)
    lessons = list(module.lessons.all())
    members = list(
        Membership.objects.filter(ended_on__isnull=True, cell__path__startswith=module.audience.path)
        .exclude(user__username__in=["dangvien", "dangvien2"])
        .select_related("user")
        .order_by("cell__path", "user__username")
    )
    completed = partial = 0
    for index, membership in enumerate(members):
        user = membership.user
        plan = index % 3  # 0: completed (one failed try first for some), 1: part way, 2: not started
        if plan == 2:
            continue
        if plan == 1:
            for lesson in lessons[: 1 + index % len(lessons)]:
                services.lesson_mark_read(user=user, lesson=lesson)
            partial += 1
            continue
        for lesson in lessons:
            services.lesson_mark_read(user=user, lesson=lesson)
        if index % 2:
            attempt = services.attempt_start(user=user, module=module, rng=rng)
            services.attempt_submit(user=user, attempt=attempt, answers=_answers(attempt, right=False))
        attempt = services.attempt_start(user=user, module=module, rng=rng)
        services.attempt_submit(user=user, attempt=attempt, answers=_answers(attempt, right=True))
        # The demo members studied in the autumn of 2020: date their certificates then.
        day = datetime.date(2020, 9, 1) + datetime.timedelta(days=rng.randrange(0, 110))
        Certificate.objects.filter(user=user, module=module).update(issued_on=day)
        completed += 1
    stdout.write(
        f"Courses: “{TITLE[:40]}…” with {len(LESSONS)} lessons and {len(QUESTIONS)} questions; "
        f"{completed} members completed, {partial} part way ({timezone.localdate():%d/%m/%Y})."
    )
