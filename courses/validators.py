"""Checks on uploaded files and links, by content and by allow-list, never by name alone."""

import io
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 3000  # pixels; a signature or seal scanned at 300 dpi is well under 1000
MAX_IMAGE_PIXELS = 4_000_000
IMAGE_FORMATS = {"PNG", "JPEG"}
PDF_MAGIC = b"%PDF-"
VIDEO_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtu.be",
        "vimeo.com",
        "player.vimeo.com",
        "vtv.vn",
        "vtv.gov.vn",
        "www.qptv.vn",
        "qptv.vn",
        "tuyengiao.vn",
        "www.tuyengiao.vn",
    }
)


def validate_pdf(file) -> None:
    """PDF only, at most 20 MB, recognised by its first bytes (a renamed .exe is refused)."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The document is larger than 20 MB."), code="too_large")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(len(PDF_MAGIC))
    file.seek(position)
    if head != PDF_MAGIC:
        raise ValidationError(_("Only PDF documents can be attached."), code="not_pdf")


def validate_video_url(value: str) -> None:
    if not value:
        return
    parsed = urlparse(value)
    host = (parsed.hostname or "").lower()
    if parsed.scheme != "https" or host not in VIDEO_HOSTS:
        raise ValidationError(
            _("Video links must be https:// links to one of: %(hosts)s."),
            params={"hosts": ", ".join(sorted(VIDEO_HOSTS))},
            code="video_host",
        )


def clean_signer_image(file) -> ContentFile:
    """A scanned signature or seal: PNG or JPEG, at most 2 MB and 3000 px a side (4 MP), checked
    by decoding it with Pillow (the header's size is checked before any pixel is decoded, so a
    decompression bomb is refused cheaply), then re-encoded as a fresh PNG: nothing of the
    uploaded bytes but the pixels is kept (no metadata, no trailing payload). Near-white
    becomes transparent, so the signature and seal overlay the printed text like ink."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is larger than 2 MB."), code="too_large")
    file.seek(0)
    data = file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is larger than 2 MB."), code="too_large")
    not_image = ValidationError(_("Upload a PNG or JPEG image (a scan of the signature or seal)."), code="not_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise not_image
            width, height = probe.size
            if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS or min(width, height) < 1:
                raise ValidationError(
                    _("The image may be at most %(side)d pixels wide and high."),
                    params={"side": MAX_IMAGE_SIDE},
                    code="too_many_pixels",
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_image from None
    light = rgba.convert("L").point(lambda v: 0 if v > 235 else 255)
    alpha = Image.composite(rgba.getchannel("A"), light, light)
    rgba.putalpha(alpha)
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="image.png")
