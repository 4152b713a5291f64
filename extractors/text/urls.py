"""Web addresses: finding them in text and comparing them.

* :data:`URL_RE` / :func:`find_urls`: the one rule for URLs printed in text
  (``http://``, ``https://`` or ``www.`` up to whitespace, quotes, ``<>`` or
  brackets). :data:`BARE_URL_RE` finds link text that lost its scheme
  ("amnesty.org/en/documents/…"). :func:`trim_url` drops trailing
  punctuation, keeping a balanced closing parenthesis.
* :func:`url_key` / :func:`url_variants`: the comparison key of an address
  (scheme, ``www.``, trailing slash, fragment, tracking parameters and query
  order do not matter) and its likely stored spellings.

Pure functions over precompiled regexes.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

# ---------------------------------------------------------------- finding

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"\]\[]+", re.I)
# Link text that lost its scheme in conversion ("amnesty.org/en/documents/…"): a host with a
# known top-level domain followed by a path.
BARE_URL_RE = re.compile(
    r"(?<![\w@/.-])(?:[a-z0-9-]+\.)+(?:org|com|net|int|gov|edu|info|news|io|uk|ch|de|fr|ir|ca|au|be|nl|se|no)"
    r"/[^\s<>\"\]\[]+", re.I)
URL_TRAILING = ".,;:!?'\"”’»)]}>*"


def trim_url(url: str, trailing: str = URL_TRAILING) -> str:
    """``url`` without trailing punctuation; a balanced closing parenthesis stays."""
    while url and url[-1] in trailing:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def find_urls(text: str) -> list[str]:
    """Every URL printed in ``text`` (by :data:`URL_RE`), trimmed, in order."""
    out = []
    for m in URL_RE.finditer(text or ""):
        url = trim_url(m.group(0))
        if url:
            out.append(url)
    return out


# ---------------------------------------------------------------- comparing

TRACKING_PARAM_RE = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|_ga|_gl|yclid|"
    r"ref_src|ref_url|cmpid|s_cid|mkt_tok|__s|ocid|spm)$",
    re.IGNORECASE,
)
HAS_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
BARE_HOST_RE = re.compile(r"^(?:www\d?\.)?(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str | None, lenient: bool = True) -> str | None:
    """A comparison key for a web address, or ``None`` if ``url`` is not one.

    ``lenient`` accepts addresses without a scheme (``www.un.org/…``,
    ``amnesty.org/en/…``), as citations print them; document sources (file
    paths) are passed with ``lenient=False``.
    """
    if not url:
        return None
    url = unicodedata.normalize("NFKC", str(url)).strip().strip("<>").strip()
    if not HAS_SCHEME_RE.match(url):
        if not lenient or not BARE_HOST_RE.match(url):
            return None
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    host = re.sub(r"^www\d?\.", "", host)
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = unquote(parts.path or "")
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not TRACKING_PARAM_RE.match(k))
    key = host + path
    if query:
        key += "?" + urlencode(query)
    return key


def url_variants(url: str, lenient: bool = True) -> set[str]:
    """Likely stored spellings of ``url`` (for ``IN`` lookups on URL columns)."""
    key = url_key(url, lenient)
    if key is None:
        return set()
    out = {url.strip()}
    host_path, _, query = key.partition("?")
    host, slash, path = host_path.partition("/")
    path = slash + path
    q = ("?" + query) if query else ""
    for scheme in ("http", "https"):
        for www in ("", "www."):
            for trail in ("", "/"):
                out.add(f"{scheme}://{www}{host}{path}{trail}{q}")
    return out
