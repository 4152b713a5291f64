"""Ref bookkeeping for wikitext: labels as the rendered page prints them, one note per named ref.

:func:`group_label` numbers a group ("1", "a", "i", "<group> 1"); :class:`Notes`
gives every ``(group, name)`` its number at first use and fills the body in
when the definition is seen (possibly later, or list-defined).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.record import Citation

_ALPHA = "abcdefghijklmnopqrstuvwxyz"
_GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
EFN_GROUPS = {
    "efn": "lower-alpha", "efn-la": "lower-alpha", "efn-ua": "upper-alpha",
    "efn-lr": "lower-roman", "efn-ur": "upper-roman", "efn-lg": "lower-greek",
    "notetag": "note", "efn-note": "lower-alpha",
}


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                       (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += sym
            n -= value
    return out


def _alpha(n: int, letters: str) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, len(letters))
        out = letters[rem] + out
    return out


def group_label(group: str, n: int) -> str:
    """The label the rendered page prints for the ``n``-th note of ``group``."""
    if not group:
        return str(n)
    if group == "lower-alpha":
        return _alpha(n, _ALPHA)
    if group == "upper-alpha":
        return _alpha(n, _ALPHA.upper())
    if group == "lower-roman":
        return _roman(n)
    if group == "upper-roman":
        return _roman(n).upper()
    if group == "lower-greek":
        return _alpha(n, _GREEK)
    return f"{group} {n}"


@dataclass
class Ref:
    group: str
    name: str | None
    label: str
    body: str | None = None
    citations: list[Citation] = field(default_factory=list)
    used: bool = True


class Notes:
    """Ref numbering: a number per (group, name) at first use, bodies filled in when seen."""

    def __init__(self, warnings: list[str]) -> None:
        self.counters: dict[str, int] = {}
        self.named: dict[tuple[str, str], Ref] = {}
        self.pending: dict[tuple[str, str], Ref] = {}  # list-defined, not (yet) used
        self.order: list[Ref] = []
        self.warnings = warnings

    def _new(self, group: str, name: str | None) -> Ref:
        self.counters[group] = self.counters.get(group, 0) + 1
        ref = Ref(group, name, group_label(group, self.counters[group]))
        self.order.append(ref)
        return ref

    def use(self, group: str, name: str | None, body: str | None,
            citations: list[Citation] | None = None) -> Ref:
        """A ref invoked in the text (a definition, a reuse, or both)."""
        if name:
            key = (group, name)
            ref = self.named.get(key)
            if ref is None:
                ref = self._new(group, name)
                self.named[key] = ref
                pending = self.pending.pop(key, None)
                if pending is not None and body is None:
                    ref.body, ref.citations = pending.body, pending.citations
            if body is not None:
                self._fill(ref, body, citations)
            return ref
        ref = self._new(group, None)
        if body is None:
            self.warnings.append(f"ref without name and without content (group {group or 'default'})")
            ref.body = ""
        else:
            self._fill(ref, body, citations)
        return ref

    def define(self, group: str, name: str | None, body: str | None,
               citations: list[Citation] | None = None) -> None:
        """A list-defined ref (inside <references> or {{reflist|refs=}}): no number of its own."""
        if not name:
            self.warnings.append("list-defined ref without a name ignored")
            return
        if body is None:
            return
        key = (group, name)
        ref = self.named.get(key)
        if ref is not None:
            self._fill(ref, body, citations)
        elif key not in self.pending:
            self.pending[key] = Ref(group, name, "", body, list(citations or []), used=False)

    def _fill(self, ref: Ref, body: str, citations: list[Citation] | None) -> None:
        if ref.body is None:
            ref.body = body
            ref.citations = list(citations or [])
        elif ref.body != body and body.strip():
            self.warnings.append(f"ref name={ref.name!r} defined twice with different content; first kept")
