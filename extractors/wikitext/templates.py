"""Wikitext templates rendered as a reader sees them: a table of template name → handler.

:func:`render_template` looks a template's name up in :data:`TEMPLATES` (exact
names) and :data:`PREFIXED` (names by prefix or suffix, such as ``cite …`` or
``lang-…``); the rules keep their order, so when a name matches several, the
first rule wins. Anything not listed (navboxes, hatnotes, maintenance tags,
coordinates, …) is dropped, but refs inside it still take their numbers.

Every handler is ``handler(renderer, template, name, mode) -> str``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mwparserfromhell.nodes import Template

from extractors.text.dates import MONTH_NAMES
from extractors.text.markers import marker
from extractors.wikitext.common import squash, template_name
from extractors.wikitext.refs import EFN_GROUPS

if TYPE_CHECKING:
    from extractors.wikitext.render import Renderer

Handler = Callable[["Renderer", Template, str, str], str]

CITE_NAMES = {"citation", "cite", "vcite", "vcite2"}
DASHES = {"snd": " – ", "spaced ndash": " – ", "spnd": " – ", "sndash": " – ", "ndash": "–",
           "mdash": "—", "spaced mdash": " — ", "nbsp": " ", "sp": " ", "thinsp": " ",
           "·": " · ", "dot": " · ", "middot": "·", "'": "'", "\"": "\"", "''": "", "=": "=",
           "!": "|", "pipe": "|", "en dash": "–", "em dash": "—", "hair space": " ", "-": ""}
KEEP_FIRST = {"nowrap", "nobr", "nobold", "noitalic", "small", "smaller", "big", "larger",
               "bdi", "keep together", "center", "em", "strong", "abbr", "abbrlink", "tooltip",
               "visible anchor", "ill", "interlanguage link", "interlanguage link multi", "nowrap begin",
               "sans-serif", "serif", "mono", "code", "kbd", "var", "samp", "tt", "ruby", "linktext",
               "no wrap", "not a typo", "proper name", "typo", "sup", "sub", "small caps", "smallcaps",
               "sc", "lowercase", "uppercase", "vanchor", "text", "plain link", "plainlink",
               "lang-rtl", "rtl-lang", "wikt-lang", "script/arabic", "script/hebrew", "zwj",
               "highlight", "color", "colored", "font color", "font", "spaces", "hlist-item",
               "nowiki", "unicode", "ipa", "transliteration", "sic"}
KEEP_LAST = {"lang", "langx", "transl", "transliteration", "resize", "script", "native name",
              "native phrase", "rtl-lang", "korean", "zh", "audio"}
QUOTE_NAMES = {"quote", "cquote", "blockquote", "quotation", "quote box", "rquote", "poemquote",
                "poem quote", "centered pull quote", "block quote", "talkquote", "bq", "quote frame"}
LIST_NAMES = {"ubl", "unbulleted list", "plainlist", "plain list", "hlist", "flatlist", "flat list",
               "bulleted list", "bull list", "ordered list", "unordered list", "collapsible list",
               "endplainlist", "startplainlist"}
DATE_TEMPLATES = {"start date", "start date and age", "end date", "end date and age", "birth date",
                   "death date", "birth date and age", "death date and age", "date", "dts",
                   "start-date", "birth year and age", "death year and age", "film date",
                   "death date and given age", "birth-date", "death-date"}
SFN_NAMES = {"sfn", "sfnp", "sfnm", "harvnb", "harv", "harvp", "harvtxt", "harvard citation no brackets",
              "harvard citation", "harvard citation text", "harvcolnb", "harvcol", "sfnmp", "sfnref"}
REFLIST_NAMES = {"reflist", "references", "notelist", "notes", "notelist-ua", "notelist-lr",
                  "notelist-ur", "notelist-lg", "notefoot", "refbegin", "refend", "reflist-talk",
                  "refs", "footnotes", "notes and references", "reference list", "reflist top",
                  "reflist bottom", "note list", "notelist-talk"}
REF_TEMPLATES = {"r", "rp", "ref label", "note label"}
_NOTELIST_GROUPS = {"notelist-ua": "upper-alpha", "notelist-lr": "lower-roman",
                    "notelist-ur": "upper-roman", "notelist-lg": "lower-greek"}
_CURRENCY = {"us$": "US$", "usd": "US$", "gbp": "£", "£": "£", "€": "€", "eur": "€",
             "inr": "₹", "irr": "IRR "}


def _values(r: Renderer, t: Template, mode: str) -> list[str]:
    return [squash(r.render(p.value, mode)) for p in r.positionals(t)]


# ---------------------------------------------------------------- notes and citations

def _tag_ref(r: Renderer, t: Template, name: str, mode: str) -> str:
    return r.ref_template(t, "#tag:ref", mode)


def _efn(r: Renderer, t: Template, name: str, mode: str) -> str:
    return r.ref_template(t, name, mode)


def _sfn(r: Renderer, t: Template, name: str, mode: str) -> str:
    return r.sfn(t, name, mode)


def _reuse(r: Renderer, t: Template, name: str, mode: str) -> str:
    """``{{r|name1|name2}}``: reuses of named refs."""
    out = []
    group = str(t.get("group").value).strip() if t.has("group") else ""
    for p in t.params:
        pname = str(p.name).strip()
        if not p.showkey or pname in ("name", "n") or re.fullmatch(r"n\d*|name\d*", pname):
            refname = str(p.value).strip()
            if refname:
                ref = r.notes.use(group, refname, None)
                out.append(marker(ref.label) if mode == "body" else "")
    return "".join(out)


def _nothing(r: Renderer, t: Template, name: str, mode: str) -> str:
    return ""


def _reflist(r: Renderer, t: Template, name: str, mode: str) -> str:
    group = ""
    if t.has("group"):
        group = str(t.get("group").value).strip()
    elif name.startswith("notelist"):
        group = _NOTELIST_GROUPS.get(name, "lower-alpha")
    if t.has("refs"):
        r.define_refs(t.get("refs").value, group)
    return ""


def _cite(r: Renderer, t: Template, name: str, mode: str) -> str:
    text = r.cite(t)
    return f"\n\n{text}\n\n" if mode == "body" else text


# ---------------------------------------------------------------- page furniture

def _infobox(r: Renderer, t: Template, name: str, mode: str) -> str:
    r.infobox_from_template(t, name)
    return ""


def _display_title(r: Renderer, t: Template, name: str, mode: str) -> str:
    r.display_title = squash(str(t.name).split(":", 1)[1])
    return ""


# ---------------------------------------------------------------- inline text

def _dash(r: Renderer, t: Template, name: str, mode: str) -> str:
    return DASHES[name]


def _first(r: Renderer, t: Template, name: str, mode: str) -> str:
    return r.pos(t, 1, mode)


def _keep_last(r: Renderer, t: Template, name: str, mode: str) -> str:
    pos = r.positionals(t)
    if name == "lang" or name == "langx":
        return r.pos(t, 2, mode)
    return r.render(pos[-1].value, mode) if pos else ""


def _sic(r: Renderer, t: Template, name: str, mode: str) -> str:
    pos = r.positionals(t)
    return (r.render(pos[-1].value, mode) + " [sic]") if pos else "[sic]"


def _keep_first(r: Renderer, t: Template, name: str, mode: str) -> str:
    lt = r.named(t, "lt", mode)
    if name in ("ill", "interlanguage link") and lt:
        return lt
    return r.pos(t, 1, mode)


def _literally(r: Renderer, t: Template, name: str, mode: str) -> str:
    vals = _values(r, t, mode)
    return "lit. " + " or ".join(f"'{v}'" for v in vals if v) if vals else ""


def _circa(r: Renderer, t: Template, name: str, mode: str) -> str:
    value = r.pos(t, 1, mode)
    return f"c. {value}" if value else "c."


def _as_of(r: Renderer, t: Template, name: str, mode: str) -> str:
    vals = _values(r, t, mode)
    since = " ".join(reversed(vals)) if len(vals) > 1 else (vals[0] if vals else "")
    return f"As of {since}".strip()


def _convert(r: Renderer, t: Template, name: str, mode: str) -> str:
    vals = _values(r, t, mode)
    if len(vals) >= 4 and vals[1] in ("-", "to", "and", "–", "or", "x", "×", "by", "+"):
        sep = {"-": "–", "x": "×"}.get(vals[1], vals[1])
        return f"{vals[0]}{sep}{vals[2]} {vals[3]}" if sep in ("–", "×") else \
            f"{vals[0]} {sep} {vals[2]} {vals[3]}"
    return " ".join(vals[:2])


def _fraction(r: Renderer, t: Template, name: str, mode: str) -> str:
    vals = _values(r, t, mode)
    if len(vals) == 3:
        return f"{vals[0]} {vals[1]}/{vals[2]}"
    if len(vals) == 2:
        return f"{vals[0]}/{vals[1]}"
    return f"1/{vals[0]}" if vals else ""


def _currency(r: Renderer, t: Template, name: str, mode: str) -> str:
    amount = r.pos(t, 1, mode)
    return f"{_CURRENCY.get(name, '')}{amount}"


def _date(r: Renderer, t: Template, name: str, mode: str) -> str:
    """``{{start date|2023|2|6}}`` → "6 February 2023"."""
    vals = [str(p.value).strip() for p in r.positionals(t)]
    nums = [v for v in vals if re.fullmatch(r"\d{1,4}", v)]
    if not nums:
        return vals[0] if vals else ""
    y = int(nums[0])
    if len(nums) >= 3 and 1 <= int(nums[1]) <= 12:
        return f"{int(nums[2])} {MONTH_NAMES[int(nums[1]) - 1]} {y}"
    if len(nums) == 2 and 1 <= int(nums[1]) <= 12:
        return f"{MONTH_NAMES[int(nums[1]) - 1]} {y}"
    return str(y)


# ---------------------------------------------------------------- blocks

def _quote(r: Renderer, t: Template, name: str, mode: str) -> str:
    text = r.named(t, "text", mode) or r.named(t, "quote", mode) or r.pos(t, 1, mode)
    by = r.named(t, "author", mode) or r.pos(t, 2, mode)
    if mode == "body":
        out = f"\n\n{text}\n\n"
        if by and by.strip():
            out += f"— {squash(by)}\n\n"
        return out
    return text


def _list(r: Renderer, t: Template, name: str, mode: str) -> str:
    vals = [v for v in _values(r, t, mode) if v]
    joined = ", ".join(vals)
    return (f"\n\n{joined}\n\n" if name in ("plainlist", "flatlist", "plain list") and mode == "body"
            else joined)


def _drop(r: Renderer, t: Template, name: str, mode: str) -> str:
    """Not rendered; refs inside still take their numbers."""
    for p in t.params:
        r.render(p.value, "quiet")
    return ""


# ---------------------------------------------------------------- the table

# In order: when a name matches several rules, the first wins.
_RULES: list[tuple[Callable[[str], bool] | set[str], Handler]] = [
    (lambda n: n.startswith("#tag:ref") or n.startswith("#tag: ref"), _tag_ref),
    (set(EFN_GROUPS) | {"refn"}, _efn),
    (SFN_NAMES, _sfn),
    ({"r"}, _reuse),
    (REF_TEMPLATES, _nothing),
    (REFLIST_NAMES, _reflist),
    (lambda n: n.startswith("cite "), _cite),
    (CITE_NAMES, _cite),
    (lambda n: n.startswith("infobox") or n.endswith(" infobox") or n.startswith("taxobox"), _infobox),
    ({"speciesbox"}, _infobox),
    (lambda n: n.startswith("displaytitle:"), _display_title),
    (set(DASHES), _dash),
    (lambda n: n.startswith("lang-"), _first),
    (KEEP_LAST, _keep_last),
    ({"sic"}, _sic),
    (KEEP_FIRST, _keep_first),
    ({"lit", "literally", "literal translation"}, _literally),
    ({"circa", "c.", "ca.", "ca"}, _circa),
    ({"as of"}, _as_of),
    ({"convert", "cvt"}, _convert),
    ({"frac", "fraction", "sfrac"}, _fraction),
    ({"us$", "usd", "currency", "gbp", "£", "€", "eur", "inr", "irr"}, _currency),
    (DATE_TEMPLATES, _date),
    (QUOTE_NAMES, _quote),
    (LIST_NAMES, _list),
    ({"flag", "flagcountry", "flagu", "flag country"}, _first),
    ({"nihongo"}, _first),
]
# Exact names: template name → (rule position, handler), the first rule naming it.
TEMPLATES: dict[str, tuple[int, Handler]] = {}
# Prefix/suffix rules: (rule position, test, handler).
PREFIXED: list[tuple[int, Callable[[str], bool], Handler]] = []
for _position, (_match, _handler) in enumerate(_RULES):
    if isinstance(_match, set):
        for _name in _match:
            TEMPLATES.setdefault(_name, (_position, _handler))
    else:
        PREFIXED.append((_position, _match, _handler))


def handler_for(name: str) -> Handler:
    """The handler of template ``name`` (lower-cased, as :func:`template_name` gives it)."""
    exact = TEMPLATES.get(name)
    limit = exact[0] if exact else len(_RULES)
    for position, test, handler in PREFIXED:
        if position < limit and test(name):
            return handler
    return exact[1] if exact else _drop


def render_template(r: Renderer, t: Template, mode: str) -> str:
    """The text template ``t`` renders to in ``mode`` (see :meth:`Renderer.render`)."""
    name = template_name(t)
    return handler_for(name)(r, t, name, mode)
