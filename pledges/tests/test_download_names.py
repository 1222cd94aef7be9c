import io
import zipfile
from urllib.parse import unquote

from django.urls import reverse


def test_it_names_pledge_downloads_through_the_shared_helper(client_as, personas, approved, org):
    member = personas["member_a"]
    member.full_name = "../../Đặng/Văn..Đức"
    member.save(update_fields=["full_name"])
    client = client_as(personas["secretary_a"])
    response = client.get(reverse("pledges:approved_zip", args=[org["cell_a"].pk, 2020]))
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 1
    assert "/" not in names[0] and ".." not in names[0] and names[0].startswith("2020-Dang-Van.Duc-")
    assert response["Content-Disposition"] == f'attachment; filename="pledges-2020-cell-{org["cell_a"].pk}.zip"'
    response = client.get(reverse("pledges:pdf", args=[approved.pk]))
    header = response["Content-Disposition"]
    assert header.startswith("inline; filename=\"pledge-2020-Dang-Van.Duc.pdf\"; filename*=utf-8''"), header
    assert unquote(header.split("filename*=utf-8''", 1)[1]) == "pledge-2020-Đặng-Văn.Đức.pdf"
