"""Checks on uploaded files and links, by content and by allow-list, never by name alone."""

from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
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
