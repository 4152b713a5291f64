"""Small helpers shared by the wikitext stages: sentinels, template names, attributes."""

from __future__ import annotations

import re

from mwparserfromhell.nodes import Tag, Template

# Sentinels in rendered text: a list item, a heading's start and end.
ITEM = "\ue010"
HEAD = "\ue011"
HEAD_END = "\ue012"


def template_name(template: Template) -> str:
    name = str(template.name)
    name = re.sub(r"<!--.*?-->", "", name, flags=re.S)
    name = name.replace("_", " ").strip()
    name = re.sub(r"\s+", " ", name)
    if name.lower().startswith("template:"):
        name = name[9:].strip()
    return name.lower()


def tag_attr(tag: Tag, name: str) -> str | None:
    for attr in tag.attributes:
        if str(attr.name).strip().lower() == name:
            value = str(attr.value if attr.value is not None else "").strip().strip("\"'").strip()
            return value or None
    return None


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(ITEM, " ")).strip()
