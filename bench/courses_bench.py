"""Certificate PDFs: median ms per certificate (with QR) and the time of a ZIP of 50.

Run: .venv/bin/python bench/courses_bench.py   (no database needed: certificates are
built in memory). Goal from issue 4: median <= 15 ms per certificate, ZIP of 50 < 1 s.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from core.pdf import register_fonts  # noqa: E402
from courses.models import Certificate  # noqa: E402
from courses.pdf import certificate_pdf, certificates_zip  # noqa: E402
from courses.services import new_verification_code  # noqa: E402

NAMES = ["Nguyễn Văn Hùng", "Lê Thị Hồng Nhung", "Trần Thị Thu Hà", "Công Tằng Tôn Nữ Thị Hoàng Phương Thảo"]
TITLE = (
    "Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị trong sạch, "
    "vững mạnh theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
)


def make(index: int) -> Certificate:
    return Certificate(
        pk=index,
        holder_name=NAMES[index % len(NAMES)],
        module_title=TITLE,
        directive="Chỉ thị 05-CT/TW",
        issuer_name="Tỉnh ủy Quảng Trị",
        place="Quảng Trị",
        issued_on=datetime.date(2020, 11, 18),
        serial=f"QT-2020-{index:06d}",
        code=new_verification_code(),
    )


def main() -> None:
    register_fonts()  # once per process, as in the server
    certificate_pdf(make(0))  # warm up
    times = []
    for index in range(200):
        certificate = make(index)
        start = time.perf_counter()
        certificate_pdf(certificate)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"certificate PDF with QR: median {statistics.median(times):.1f} ms, p90 {times[179]:.1f} ms (n=200)")
    import courses.pdf

    real_qr = courses.pdf.draw_qr
    courses.pdf.draw_qr = lambda *args, **kwargs: None
    bare = []
    for index in range(200):
        certificate = make(index)
        start = time.perf_counter()
        certificate_pdf(certificate)
        bare.append((time.perf_counter() - start) * 1000)
    courses.pdf.draw_qr = real_qr
    print(f"same page without QR (for comparison): median {statistics.median(bare):.1f} ms")
    zips = []
    for _ in range(5):
        batch = [make(i) for i in range(50)]
        start = time.perf_counter()
        data = certificates_zip(batch)
        zips.append(time.perf_counter() - start)
    print(f"ZIP of 50 certificates: median {statistics.median(zips) * 1000:.0f} ms ({len(data) / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
