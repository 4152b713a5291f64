"""Rules every container shares: which member names are safe, the count and size bounds, the listing."""

from __future__ import annotations

import re

from extractors.record import Hints, Part

# A ZIP member inflating more than the ratio limit is a bomb only when it is big: small files of
# repeated characters compress very well and harm nobody.
RATIO_FLOOR_BYTES = 1024 * 1024
DRIVE_RE = re.compile(r"^[A-Za-z]:")


def unsafe_name(name: str) -> str | None:
    """Why a member name could escape a directory it were extracted to (``None``: it is safe)."""
    if name.startswith(("/", "\\")) or DRIVE_RE.match(name):
        return "absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "'..' in the path"
    if "\x00" in name:
        return "NUL in the name"
    return None


def bound_parts(parts: list[Part], hints: Hints, warnings: list[str]) -> tuple[list[Part], list[str]]:
    """At most the limits' member count and total bytes of ``parts``; what is left out is a warning."""
    limits = hints.limits
    kept: list[Part] = []
    total = 0
    for part in parts:
        if len(kept) >= limits.container_max_members:
            warnings.append(f"{len(parts) - len(kept)} part(s) beyond the limit of {limits.container_max_members:,} "
                            "not ingested on their own (they stay in this document's bytes)")
            break
        if total + len(part.data) > limits.container_max_total_bytes:
            warnings.append(f"part {part.name!r} ({len(part.data):,} bytes) skipped: the parts would exceed "
                            f"{limits.container_max_total_bytes:,} bytes in all (it stays in this document's bytes)")
            continue
        total += len(part.data)
        kept.append(part)
    return kept, warnings


def listing(entries: list[tuple[str, int, str]]) -> str:
    """The container's text: one line per member, ``path (N bytes)`` and what happened to it."""
    return "\n".join(f"{name} ({size:,} bytes){'' if not note else f' — {note}'}" for name, size, note in entries)
