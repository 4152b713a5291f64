"""``/Link`` annotations of a PDF page: web addresses and internal jumps.

URI links give the exact address a note prints (:func:`uri_links`). Internal
links (a ``/Dest``, or a ``/GoTo`` action, to an explicit or a named
destination) are what hyperref, LibreOffice and other producers put on a
footnote marker to jump to its note: :func:`goto_links` reads them as the
marker's rectangle and the destination's page and position, which
:func:`linked_note` matches against the notes found on the page.

Links are a help, never a requirement: a damaged annotation or destination is
skipped, and reading stops after ``MAX_ANNOTS`` annotations per page.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ANNOTS = 2000
Rect = tuple[float, float, float, float]
NoteSpot = tuple[int, float | None, float | None, str, str]  # page, x, y, label, key of a note's label
# A link's destination opens at most this far above its note's first baseline
# (hyperref raises its anchors by a line; LibreOffice points at the line's top).
_ABOVE = 36.0
_BELOW = 3.0


@dataclass(frozen=True)
class Target:
    """Where an internal link jumps: page number (1-based) and the point's ``left`` / ``top``."""

    page: int
    left: float | None
    top: float | None


class Destinations:
    """Resolves explicit and named destinations of one document to :class:`Target` s."""

    def __init__(self, reader: object) -> None:
        self.reader = reader
        self._pages: dict[int, int] | None = None
        self._named: dict | None = None

    def _page_number(self, ref: object) -> int | None:
        if self._pages is None:
            self._pages = {}
            for i, page in enumerate(self.reader.pages):  # type: ignore[attr-defined]
                ind = getattr(page, "indirect_reference", None)
                if ind is not None:
                    self._pages[ind.idnum] = i + 1
        if isinstance(ref, int):
            return ref + 1 if 0 <= ref < len(self._pages) else None
        idnum = getattr(ref, "idnum", None)
        return self._pages.get(idnum) if idnum is not None else None

    def resolve(self, dest: object) -> Target | None:
        """The target of a ``/Dest`` or ``/D`` value: an array, a name or a string."""
        if isinstance(dest, (str, bytes)):
            return self._named_target(str(dest).lstrip("/"))
        try:
            dest = dest.get_object()  # type: ignore[attr-defined]
        except AttributeError:
            pass
        if isinstance(dest, dict) and "/D" in dest:
            return self.resolve(dest["/D"])
        if not isinstance(dest, list) or len(dest) < 2:
            return None
        page = self._page_number(dest[0])
        if page is None:
            return None
        kind, nums = str(dest[1]), [_num(v) for v in dest[2:]]
        left = top = None
        if kind == "/XYZ":
            left, top = (nums + [None, None])[:2]
        elif kind in ("/FitH", "/FitBH"):
            top = (nums + [None])[0]
        elif kind == "/FitR" and len(nums) >= 4:
            left, top = nums[0], nums[3]
        return Target(page, left, top)

    def _named_target(self, name: str) -> Target | None:
        if self._named is None:
            try:
                self._named = dict(self.reader.named_destinations)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a damaged name tree gives no names
                self._named = {}
        dest = self._named.get(name) or self._named.get("/" + name)
        if dest is None:
            return None
        page = self._page_number(dest.get("/Page"))
        if page is None:
            return None
        return Target(page, _num(dest.get("/Left")), _num(dest.get("/Top")))


def _num(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _annotations(page: object) -> list:
    annots = page.get("/Annots")  # type: ignore[attr-defined]
    annots = annots.get_object() if annots is not None else []
    out = []
    for ref in list(annots)[:MAX_ANNOTS]:
        annot = ref.get_object()
        if annot.get("/Subtype") == "/Link":
            out.append(annot)
    return out


def _rect(annot: object) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in annot.get("/Rect", [0, 0, 0, 0])[:4])  # type: ignore[attr-defined]
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def uri_links(page: object) -> list[tuple[Rect, str]]:
    """The page's ``/Link`` annotations with a URI action (damaged ones skipped)."""
    out: list[tuple[Rect, str]] = []
    try:
        for annot in _annotations(page):
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            if not action or action.get("/S") != "/URI" or not isinstance(action.get("/URI"), str):
                continue
            out.append((_rect(annot), str(action["/URI"])))
    except Exception:  # noqa: BLE001 - links are a help; a damaged annotation array is skipped
        return out
    return out


def goto_links(page: object, destinations: Destinations) -> list[tuple[Rect, Target]]:
    """The page's internal ``/Link`` annotations with the target each jumps to (damaged ones skipped)."""
    out: list[tuple[Rect, Target]] = []
    try:
        for annot in _annotations(page):
            dest = annot.get("/Dest")
            if dest is None:
                action = annot.get("/A")
                action = action.get_object() if action is not None else None
                if not action or action.get("/S") != "/GoTo":
                    continue
                dest = action.get("/D")
            target = destinations.resolve(dest) if dest is not None else None
            if target is not None:
                out.append((_rect(annot), target))
    except Exception:  # noqa: BLE001 - links are a help; a damaged annotation array is skipped
        return out
    return out


def link_at(links: list[tuple[Rect, Target]], x: float, y: float) -> Target | None:
    """The target of the link whose rectangle holds the glyph set at ``(x, y)`` (its origin)."""
    for (x0, y0, x1, y1), target in links:
        if x0 - 1.0 <= x + 0.5 <= x1 + 1.0 and y0 - 1.0 <= y + 1.0 <= y1 + 1.0:
            return target
    return None


def _near(target: Target, notes: list[NoteSpot]) -> list[NoteSpot]:
    return [n for n in notes if n[0] == target.page and (
        target.top is None or (n[2] is not None and target.top - _ABOVE <= n[2] <= target.top + _BELOW))]


def link_offset(links: list[tuple[Target, str]], notes: list[NoteSpot]) -> float:
    """How far above a note's first baseline this document's note links point (the median over
    ``(target, marker label)`` pairs whose label opens a note near the target); producers differ."""
    gaps = sorted(target.top - n[2] for target, label in links if target.top is not None
                  for n in _near(target, notes) if n[3] == label)
    return gaps[len(gaps) // 2] if gaps else 0.0


def linked_note(target: Target, label: str, notes: list[NoteSpot], offset: float = 0.0) -> tuple[str | None, bool]:
    """The note an internal link from a marker labelled ``label`` jumps to.

    ``notes`` are ``(page, x, y, label, key)`` of the notes' labels, ``offset``
    how far above a note's baseline the document's links point
    (:func:`link_offset`). The note the link jumps to is the one opening
    nearest that point. Returns ``(key, True)`` when it has the marker's
    label (the link confirms the pairing), ``(None, False)`` when it has
    another (the link contradicts the label), and ``(None, True)`` when no
    note opens near the target (the link is not a note link).
    """
    near = _near(target, notes)
    if not near:
        return None, True
    if target.top is not None:
        left = target.left

        def distance(n: tuple) -> float:
            return abs(target.top - n[2] - offset) + (0.05 * abs(left - n[1]) if left is not None and n[1] is not None
                                                      else 0.0)
        near.sort(key=distance)
        best = [n for n in near if distance(n) <= distance(near[0]) + 0.5]
    else:
        best = near
    same = [n for n in best if n[3] == label]
    if not same:
        return None, False
    return same[0][4], True
