from django import template
from django.utils.html import format_html

from core.idempotency import FIELD, new_key

register = template.Library()


@register.simple_tag
def idempotency_field():
    """A hidden field with a fresh key for this rendering of the form (core.idempotency)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
