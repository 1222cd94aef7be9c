import io
import zipfile

from django.urls import reverse

from courses.models import Certificate
from courses.tests.conftest import build_module, complete


def test_it_names_certificate_downloads_safely_even_from_a_bad_unit_code(client_as, personas, org):
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    # A code stored before the validator existed.
    Certificate.objects.update(serial="../../QT/2020-000001")
    personas["member_a"].full_name = "../../Nguyễn/Văn Ấn"
    Certificate.objects.update(holder_name="../../Nguyễn/Văn Ấn")
    certificate = Certificate.objects.get()
    response = client_as(personas["member_a"]).get(reverse("courses:certificate_pdf", args=[certificate.pk]))
    header = response["Content-Disposition"]
    assert header.startswith('attachment; filename="giay-chung-nhan-QT-2020-000001.pdf"'), header
    assert "/" not in header.split("filename*=")[0]
    response = client_as(personas["secretary_a"]).get(reverse("courses:cell_certificates_zip", args=[org["cell_a"].pk]))
    assert response["Content-Disposition"] == f'attachment; filename="giay-chung-nhan-chi-bo-{org["cell_a"].pk}.zip"'
    for name in zipfile.ZipFile(io.BytesIO(response.content)).namelist():
        assert "/" not in name and ".." not in name, name
