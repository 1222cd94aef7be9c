"""User text to safe HTML: the one place that renders Markdown and calls bleach.

Text is rendered and cleaned once, when it is written, and the HTML is stored beside the
source (bleach costs about 10 ms for a 4 KB post; reading must not pay that). Markdown is
CommonMark with raw HTML off; bleach then keeps only an allow-list, linkifies bare URLs,
and marks every link rel="nofollow noopener".
"""

import unicodedata
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "code", "pre", "a", "hr", "del"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")


def _render_image(self, tokens, idx, options, env) -> str:
    # Posts show no remote images (privacy, slow networks): an image becomes a link to it.
    token = tokens[idx]
    alt = self.renderInline(token.children or [], options, env)
    src = escapeHtml(str(token.attrGet("src") or ""))
    return f'<a href="{src}">{alt or src}</a>'


_markdown.add_render_rule("image", _render_image)


def _link_rel(attrs: dict, new: bool = False) -> dict | None:
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if not href.lower().startswith(("http://", "https://", "mailto:")):
        return None  # a link bleach would not allow: drop it, keep its text
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_link_rel], skip_tags={"pre", "code"})],
)


def normalize(text: str) -> str:
    """NFC, Unix newlines, no NUL: what every stored user text goes through."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))


def markdown_to_html(text: str) -> str:
    """Markdown source -> safe HTML. Call when text is written; store the result."""
    return _cleaner.clean(_markdown.render(normalize(text))).strip()
