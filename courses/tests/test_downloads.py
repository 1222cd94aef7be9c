from urllib.parse import unquote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.filenames import fold_ascii, safe_filename
from courses import services


def test_it_keeps_the_whole_vietnamese_title_as_the_document_filename(client_as, personas, module):
    document = services.document_add(
        lesson=module.lessons.first(),
        title="Chỉ thị 05-CT/TW – những điểm chính",
        file=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    response = client_as(personas["member_a"]).get(reverse("courses:document", args=[document.pk]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    assert 'filename="Chi-thi-05-CT-TW-nhung-diem-chinh.pdf"' in header
    encoded = header.split("filename*=utf-8''", 1)[1]
    assert unquote(encoded) == "Chỉ thị 05-CT-TW – những điểm chính.pdf"
    assert "%2F" not in encoded


def test_it_makes_safe_names():
    assert safe_filename("a/b\\c\x00d\ne") == "a-b-c-d-e"
    assert safe_filename("../../etc") == "etc"
    assert fold_ascii("Nguyễn Văn Hùng") == "Nguyen-Van-Hung"
    assert fold_ascii("Đảng ủy") == "Dang-uy"
