"""Draw the app icons (static/img/icon-*.png) from the site's mark, static/img/favicon.svg:
a gold star on a red rounded square. Run once when the mark changes; the PNGs are committed."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

RED = "#b71c1c"
GOLD = "#ffd54f"
# The star of favicon.svg, in its 32-unit box.
STAR = [
    (16, 5), (19.1, 12.6), (27.3, 13.2), (21, 18.5), (23, 26.5),
    (16, 22.2), (9, 26.5), (11, 18.5), (4.7, 13.2), (12.9, 12.6),
]  # fmt: skip
# (file name, size, maskable): maskable icons fill the square and keep the star in the middle 80 %.
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),
]


def draw_icon(size: int, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=RED)
        box, offset = big * 0.8, big * 0.1
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 6 / 32, fill=RED)
        box, offset = big, 0
    draw.polygon([(offset + x * box / 32, offset + y * box / 32) for x, y in STAR], fill=GOLD)
    return image.resize((size, size), Image.LANCZOS)


class Command(BaseCommand):
    help = "Draw the app icons (manifest, home screen) from the site's mark into static/img/."

    def handle(self, *args, **options) -> None:
        folder = Path(settings.BASE_DIR) / "static" / "img"
        for name, size, maskable in ICONS:
            draw_icon(size, maskable).save(folder / name, optimize=True)
            self.stdout.write(f"{name}: {(folder / name).stat().st_size} bytes")
