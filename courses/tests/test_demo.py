import io

from cells import demo as cells_demo
from courses import demo
from courses.models import Certificate, Lesson, Module, ModuleProgress, Question


def test_it_seeds_the_2020_module_once(db):
    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    demo.seed(out)
    module = Module.objects.get()
    assert module.title == demo.TITLE and module.directive == "Chỉ thị 05-CT/TW" and module.year == 2020
    assert module.issuer.name == "Tỉnh ủy Quảng Trị"
    assert module.audience.name == "Đảng ủy các cơ quan Đảng tỉnh"
    assert module.lessons.first().documents.get().file.read(5) == b"%PDF-"
    assert {c.issuer_name for c in Certificate.objects.all()} == {"Tỉnh ủy Quảng Trị"}
    assert not Certificate.objects.filter(cell__name="Chi bộ thôn An Lợi").exists()
    assert {c.issued_on.year for c in Certificate.objects.all()} == {2020}
    assert Lesson.objects.count() in (3, 4)
    assert Question.objects.count() >= 12
    assert Certificate.objects.count() >= 3
    assert ModuleProgress.objects.filter(completed_at__isnull=True, lessons_read__gt=0).exists()
    assert not ModuleProgress.objects.filter(user__username="dangvien").exists()
    assert Certificate.objects.filter(serial__startswith="QT-2020-").count() == Certificate.objects.count()


def test_demo_certificates_carry_the_signer(db):
    from pypdf import PdfReader

    from courses.pdf import certificate_pdf

    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    certificate = Certificate.objects.first()
    assert (certificate.signer_title, certificate.signer_name) == ("PHÓ BÍ THƯ THƯỜNG TRỰC", "Trần Văn Thành")
    data = certificate_pdf(certificate)
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "T/M BAN THƯỜNG VỤ" in text and "Trần Văn Thành" in text and "Quảng Trị, ngày" in text
