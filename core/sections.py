"""How apps add to the home page and the main menu without the base apps knowing them.

An app may have a `home` module with either or both of:
- `home_section(request, roles) -> dict | None`: a dict with "template" and its context,
  shown on the home page in INSTALLED_APPS order;
- `nav_links(request, roles) -> list[tuple[str, str]]`: (label, url) pairs for the menu.
Both get the asking user's `cells.permissions.Roles`, so they add no role queries.
"""

import importlib
from functools import cache

from django.apps import apps


@cache
def _modules() -> tuple:
    found = []
    for config in apps.get_app_configs():
        try:
            found.append(importlib.import_module(f"{config.name}.home"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.home":
                raise
    return tuple(found)


def home_sections(request, roles) -> list[dict]:
    sections = []
    for module in _modules():
        if hasattr(module, "home_section"):
            section = module.home_section(request, roles)
            if section:
                sections.append(section)
    return sections


def nav_links(request, roles) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for module in _modules():
        if hasattr(module, "nav_links"):
            links.extend(module.nav_links(request, roles))
    return links
