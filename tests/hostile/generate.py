"""Hostile inputs for the cases of issue 12, made on the fly (nothing large is committed).

Every function is deterministic (a seed where randomness is involved) and returns bytes,
strings or paths, so any test can import it::

    from hostile.generate import utf16_without_bom, gzip_bomb, folder_with_link_out

(``tests/`` is on ``sys.path`` under pytest, and ``tests/hostile`` is a package.)

Groups:

* real files of each format and their corruptions: :func:`fixture_files`,
  :func:`truncated`, :func:`mutated`, :func:`corrupt_pdf`, :func:`truncated_pdf`;
* text encodings and characters: :func:`utf16_without_bom`, :func:`utf32_without_bom`,
  :func:`text_with_controls`;
* compression: :func:`gzip_file`, :func:`gzip_bomb`, :func:`nested_gzip`;
* bombs and nesting per format: :func:`deep_html`, :func:`deep_markdown`, :func:`deep_wikitext`,
  :func:`deep_pdf`, :func:`pdf_flate_bomb`, :func:`entity_bomb_xhtml`, :func:`huge_line_text`;
* the file system: :func:`invalid_utf8_name`, :func:`folder_with_invalid_utf8_names`,
  :func:`folder_with_link_out`, :func:`folder_with_hidden_and_unreadable`;
* manifests and sources files: :func:`hostile_manifest`, :func:`hostile_sources_file`;
* URLs and servers: :data:`NON_HTTP_REDIRECTS`, :data:`PRIVATE_TARGETS`, :func:`url_with_credentials`,
  :func:`raw_http_server` (scripted bytes with delays: header drip, body longer than
  Content-Length, 429/503 with Retry-After);
* the archive: :data:`FORGED_EVENT_KINDS`, :func:`long_query`, :func:`corrupt_database`,
  :data:`BAD_DB_URLS`.
"""

from __future__ import annotations

import gzip
import os
import random
import socket
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
FIXTURES = REPO / "tests" / "fixtures"

# --------------------------------------------------------------------------- real files

#: Format name (as in ``ExtractedDocument.extractor``) to the file patterns of real examples.
_PATTERNS: dict[str, tuple[str, ...]] = {
    "text": ("corpus/00[0-4]_*.txt", "tests/fixtures/text/*.txt", "tests/fixtures/citations/*.txt"),
    "markdown": ("tests/fixtures/markdown/*.md", "tests/fixtures/citations/*.md", "tests/fixtures/html/*.md",
                 "corpus/renditions/*.md"),
    "wikitext": ("tests/fixtures/wikitext/*.wiki", "corpus/renditions/*.wiki"),
    "html": ("tests/fixtures/html/*.html", "corpus/renditions/*.html"),
    "pdf": ("tests/fixtures/pdf/*.pdf", "corpus/renditions/*.pdf"),
}
#: The file extension each format's hints use.
EXTENSIONS = {"text": "txt", "markdown": "md", "wikitext": "wiki", "html": "html", "pdf": "pdf"}


def fixture_files(fmt: str, max_bytes: int = 150_000) -> list[Path]:
    """Real files of format ``fmt`` from corpus/ and tests/fixtures/, smallest first, each <= ``max_bytes``."""
    found = {p for pattern in _PATTERNS[fmt] for p in REPO.glob(pattern) if p.is_file()}
    return sorted((p for p in found if p.stat().st_size <= max_bytes), key=lambda p: (p.stat().st_size, p.name))


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    """The first ``fraction`` of ``data`` (a download cut short)."""
    return data[: max(1, int(len(data) * fraction))]


#: A mutation: ``(kind, position as a fraction of the length, argument)``.
Mutation = tuple[str, float, int]
MUTATION_KINDS = ("flip", "set", "insert", "delete", "duplicate", "truncate", "zero")


def apply_mutations(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    """``data`` with each mutation applied in turn.

    ``flip`` xors one byte with ``arg``; ``set`` overwrites one byte; ``insert`` puts ``arg``
    random-looking bytes in; ``delete`` removes ``arg`` bytes; ``duplicate`` repeats the next
    ``arg`` bytes; ``truncate`` cuts the rest off; ``zero`` NULs ``arg`` bytes.
    """
    out = bytearray(data)
    for kind, where, arg in mutations:
        pos = min(len(out), max(0, int(where * len(out))))
        arg = max(1, arg)
        if kind == "flip" and pos < len(out):
            out[pos] ^= arg & 0xFF or 1
        elif kind == "set" and pos < len(out):
            out[pos] = arg & 0xFF
        elif kind == "insert":
            out[pos:pos] = random.Random(arg).randbytes(min(arg, 512))
        elif kind == "delete":
            del out[pos : pos + arg]
        elif kind == "duplicate":
            out[pos:pos] = out[pos : pos + min(arg, 4096)] * 2
        elif kind == "truncate":
            del out[pos:]
        elif kind == "zero":
            out[pos : pos + arg] = bytes(len(out[pos : pos + arg]))
    return bytes(out)


def random_mutations(seed: int, count: int = 8) -> list[Mutation]:
    """``count`` mutations chosen with ``random.Random(seed)``."""
    rng = random.Random(seed)
    return [(rng.choice(MUTATION_KINDS), rng.random(), rng.randint(1, 300)) for _ in range(count)]


def mutated(data: bytes, seed: int, count: int = 8) -> bytes:
    """``data`` with ``count`` random mutations (reproducible from ``seed``)."""
    return apply_mutations(data, random_mutations(seed, count))


def corrupt_pdf() -> bytes:
    """A PDF header and catalog followed by NULs: claims PDF, parses as nothing."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 64


def minimal_pdf(text: str = "Hello, hostile world.", streams: int = 1) -> bytes:
    """A small valid PDF with ``text`` on one page (xref offsets computed), for corrupting."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1") * streams
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def truncated_pdf() -> bytes:
    """:func:`minimal_pdf` cut in the middle of its content stream (no xref, no trailer)."""
    data = minimal_pdf()
    return data[: data.index(b"stream") + 20]


# --------------------------------------------------------------------------- encodings

SAMPLE_TEXT = (
    "The Special Rapporteur received reports of executions carried out in 1988.\n\n"
    "Families were not told where their relatives were buried.\n"
)
SAMPLE_PERSIAN = "اعدام‌های دسته‌جمعی زندانیان سیاسی در تابستان ۱۳۶۷ در زندان‌های ایران.\n\n"


def utf16_without_bom(text: str = SAMPLE_TEXT, big_endian: bool = True) -> bytes:
    """``text`` as UTF-16BE (or LE) with no byte-order mark: a NUL before (after) every ASCII byte."""
    return text.encode("utf-16-be" if big_endian else "utf-16-le")


def utf32_without_bom(text: str = SAMPLE_TEXT, big_endian: bool = True) -> bytes:
    """``text`` as UTF-32BE (or LE) with no byte-order mark."""
    return text.encode("utf-32-be" if big_endian else "utf-32-le")


def text_with_controls(text: str = SAMPLE_TEXT, every: int = 40, controls: str = "\x00\x01\x1b\x7f") -> bytes:
    """UTF-8 ``text`` with a NUL or other control byte inserted after every ``every`` characters.

    Returns the bytes; ``count_controls`` tells a test how many C0 controls (NUL included) went in.
    """
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i % every == every - 1:
            out.append(controls[(i // every) % len(controls)])
    return "".join(out).encode("utf-8")


def count_controls(data: bytes) -> int:
    """C0 control bytes in ``data`` other than tab, line feed and carriage return."""
    return sum(1 for b in data if b < 0x20 and b not in (9, 10, 13))


# --------------------------------------------------------------------------- compression

def sample_html(paragraphs: int = 20, title: str = "Report on executions") -> bytes:
    """A plain, valid HTML page with ``paragraphs`` paragraphs of distinct sentences."""
    body = "".join(
        f"<p>Paragraph {i}: the report documents testimony number {i} from a survivor of the prison.</p>\n"
        for i in range(paragraphs)
    )
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n"
            f"<body><article><h1>{title}</h1>\n{body}</article></body></html>\n").encode("utf-8")


def gzip_file(data: bytes | None = None, members: int = 1) -> bytes:
    """``data`` (default :func:`sample_html`) gzip-compressed, split over ``members`` gzip members."""
    data = sample_html() if data is None else data
    step = max(1, len(data) // members)
    parts = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    return b"".join(gzip.compress(part, mtime=0) for part in parts)


def gzip_bomb(decompressed_bytes: int = 64 * 1024 * 1024, prefix: bytes = b"<html><body><p>") -> bytes:
    """A gzip member that inflates to ``decompressed_bytes`` (``prefix`` then NULs), built in
    bounded memory (about 1000:1, so 64 MiB costs ~64 KiB)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [deflater.compress(prefix)]
    block = bytes(1 << 20)
    left = decompressed_bytes - len(prefix)
    while left > 0:
        out.append(deflater.compress(block[: min(left, len(block))]))
        left -= len(block)
    out.append(deflater.flush())
    return b"".join(out)


def nested_gzip(data: bytes | None = None, depth: int = 3) -> bytes:
    """``data`` gzip-compressed ``depth`` times (each layer a bomb multiplier in naive readers)."""
    data = sample_html() if data is None else data
    for _ in range(depth):
        data = gzip.compress(data, mtime=0)
    return data


# --------------------------------------------------------------------------- bombs and nesting

def deep_html(depth: int = 100_000) -> bytes:
    """An HTML page with ``depth`` nested ``<div>``s around one paragraph."""
    return (b"<!DOCTYPE html><html><body>" + b"<div>" * depth + b"<p>deep text</p>" + b"</div>" * depth
            + b"</body></html>")


def deep_markdown(depth: int = 50_000) -> bytes:
    """Markdown nesting blockquotes, lists and brackets ``depth`` deep."""
    return (b">" * depth + b" quoted\n\n" + b"".join(b"  " * i + b"- item\n" for i in range(min(depth, 2000)))
            + b"\n" + b"[" * depth + b"link" + b"](x)" * 10 + b"\n\n" + b"*" * depth + b"\n")


def deep_wikitext(depth: int = 20_000) -> bytes:
    """Wikitext with ``depth`` nested templates and links, and an unclosed table."""
    return (b"== Heading ==\n\n" + b"{{tpl|" * depth + b"x" + b"}}" * depth + b"\n\n"
            + b"[[" * depth + b"link" + b"\n\n{|\n|" * 100 + b"\n== End ==\n")


def deep_pdf(depth: int = 100_000) -> bytes:
    """A PDF whose catalog holds an array nested ``depth`` deep (recursion in naive parsers)."""
    nested = b"[" * depth + b"]" * depth
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Deep " + nested + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    return _pdf(objects)


def pdf_flate_bomb(decompressed_bytes: int = 256 * 1024 * 1024) -> bytes:
    """A one-page PDF whose content stream inflates to ``decompressed_bytes`` of spaces."""
    deflater = zlib.compressobj(9)
    block = b" " * (1 << 20)
    chunks = [deflater.compress(block) for _ in range(decompressed_bytes // len(block))]
    stream = b"".join(chunks) + deflater.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return _pdf(objects)


def entity_bomb_xhtml(levels: int = 10) -> bytes:
    """XHTML with a "billion laughs" internal DTD (entities defined ten-fold per level)."""
    defs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, levels)
    ]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE html [\n{chr(10).join(defs)}\n]>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&lol{levels - 1};</p></body></html>').encode()


def huge_line_text(chars: int = 5_000_000) -> bytes:
    """One line of ``chars`` characters with no spaces (regex and sentence splitters' worst case)."""
    return (b"a" * (chars // 2)) + (b"." * (chars - chars // 2))


# --------------------------------------------------------------------------- the file system

def invalid_utf8_name(stem: bytes = b"caf\xe9", suffix: bytes = b".txt") -> bytes:
    """A file name (bytes) that is not valid UTF-8 (Latin-1 ``é``)."""
    return stem + suffix


def folder_with_invalid_utf8_names(folder: Path, good: int = 2) -> dict[str, list[bytes]]:
    """Fill ``folder`` with ``good`` ordinary text files and files whose names are invalid UTF-8.

    Returns ``{"good": [...], "bad": [...]}`` with each file's exact name bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    base = os.fsencode(folder)
    names: dict[str, list[bytes]] = {"good": [], "bad": []}
    for i in range(good):
        name = b"good_%d.txt" % i
        (folder / os.fsdecode(name)).write_bytes(SAMPLE_TEXT.replace("1988", str(1980 + i)).encode())
        names["good"].append(name)
    for name in (invalid_utf8_name(), b"\xff\xfe report.txt", b"note \x80\x81.md"):
        with open(os.path.join(base, name), "wb") as fh:
            fh.write(b"Text of a file whose name is not UTF-8: " + name.hex().encode() + b"\n")
        names["bad"].append(name)
    return names


def folder_with_link_out(root: Path) -> dict[str, Path]:
    """``root/inbox`` with one real file and symlinks pointing outside it (file, folder, /etc/passwd).

    Returns the paths: ``inbox``, ``inside`` (real file), ``secret`` (outside file the links reach),
    ``link_file``, ``link_folder``, ``link_system``.
    """
    inbox = root / "inbox"
    outside = root / "outside"
    inbox.mkdir(parents=True, exist_ok=True)
    outside.mkdir(exist_ok=True)
    inside = inbox / "inside.txt"
    inside.write_text("A document inside the folder.\n")
    secret = outside / "secret.txt"
    secret.write_text("SECRET: must never be archived from a walk of inbox/\n")
    paths = {"inbox": inbox, "inside": inside, "secret": secret,
             "link_file": inbox / "link_to_secret.txt", "link_folder": inbox / "link_to_outside",
             "link_system": inbox / "passwd.txt"}
    paths["link_file"].symlink_to(secret)
    paths["link_folder"].symlink_to(outside, target_is_directory=True)
    paths["link_system"].symlink_to("/etc/passwd")
    return paths


def folder_with_hidden_and_unreadable(root: Path) -> dict[str, Path]:
    """A folder with a hidden file, a hidden folder and an unreadable sub-folder (mode 000).

    Call ``os.chmod(paths["unreadable"], 0o700)`` in teardown so the temp dir can be removed.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "visible.txt").write_text("A visible document.\n")
    (root / ".hidden.txt").write_text("A hidden document.\n")
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git" / "config").write_text("[core]\n")
    locked = root / "locked"
    locked.mkdir(exist_ok=True)
    (locked / "inner.txt").write_text("Inside an unreadable folder.\n")
    os.chmod(locked, 0)
    return {"folder": root, "visible": root / "visible.txt", "hidden": root / ".hidden.txt", "unreadable": locked}


# --------------------------------------------------------------------------- manifests and sources files

#: Manifest ``file`` values that point outside the manifest's folder.
ESCAPING_PATHS = ("/proc/self/environ", "/etc/passwd", "../secret.txt", "sub/../../secret.txt", "//etc/hostname")


def hostile_manifest(folder: Path, entries: Sequence[str] = ESCAPING_PATHS) -> Path:
    """``folder/manifest.toml`` with one ``[[document]]`` per entry (plus one honest entry).

    Also writes ``folder/honest.txt`` and ``folder/../secret.txt`` so "../" entries reach a real file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "honest.txt").write_text("An honest document listed in the manifest.\n")
    (folder.parent / "secret.txt").write_text("SECRET outside the manifest folder\n")
    tables = ['[[document]]\nfile = "honest.txt"\ntitle = "Honest"\n']
    tables += [f'[[document]]\nfile = "{entry}"\ntitle = "Escape {i}"\n' for i, entry in enumerate(entries)]
    path = folder / "manifest.toml"
    path.write_text("\n".join(tables))
    return path


def hostile_sources_file(folder: Path) -> Path:
    """A sources file with credentials in URLs, escaping paths and non-http URLs."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.toml"
    path.write_text(
        '[source.leaky]\nurls = ["http://user:s3cret@127.0.0.1:9/page.html"]\n\n'
        '[source.escape]\npaths = ["/proc/self/environ", "../../etc"]\n\n'
        '[source.schemes]\nurls = ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<p>x</p>"]\n'
    )
    return path


# --------------------------------------------------------------------------- URLs and servers

#: Redirect targets that are not http(s).
NON_HTTP_REDIRECTS = ("javascript:alert(1)", "mailto:someone@example.org", "data:text/html,<p>hi</p>",
                      "file:///etc/passwd", "ftp://example.org/x", "//", "http://", "http://[::1")
#: Host spellings of loopback, private, link-local and multicast targets (add ``:port/path``).
PRIVATE_TARGETS = ("127.0.0.1", "0", "0.0.0.0", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]",
                   "[::ffff:127.0.0.1]", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                   "224.0.0.1", "[fe80::1]", "localhost")


def url_with_credentials(host: str = "127.0.0.1", port: int = 80, path: str = "/page.html",
                         user: str = "archivist", password: str = "s3cret-Pa55") -> str:
    """An http URL carrying ``user:password@`` (the secret must never be stored or logged)."""
    return f"http://{user}:{password}@{host}:{port}{path}"


Step = tuple[bytes, float]


@contextmanager
def raw_http_server(script: Sequence[Step] | None = None, *, connections: int = 50) -> Iterator[str]:
    """A loopback TCP server answering each connection with ``script``: ``(bytes, delay_s)`` steps.

    Yields ``http://127.0.0.1:PORT``. Use :func:`drip_headers`, :func:`overlong_body` or
    :func:`retry_after` for ready-made scripts. The request is read (up to the blank line) first.
    """
    script = list(script or overlong_body())
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        served = 0
        while not stop.is_set() and served < connections:
            try:
                conn, _ = server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            served += 1
            threading.Thread(target=_answer, args=(conn, script, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        server.close()
        thread.join(5)


def _answer(conn: socket.socket, script: Sequence[Step], stop: threading.Event) -> None:
    with conn:
        conn.settimeout(5)
        request = b""
        try:
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            for data, delay in script:
                if stop.wait(delay):
                    return
                conn.sendall(data)
        except OSError:
            return


def drip_headers(seconds: float = 30.0, step: float = 0.5) -> list[Step]:
    """A status line, then one header byte every ``step`` s for ``seconds`` (never times out per read)."""
    header = b"X-Drip: " + b"a" * int(seconds / step)
    return [(b"HTTP/1.1 200 OK\r\n", 0.0)] + [(bytes([b]), step) for b in header] + [(b"\r\n\r\nbody", 0.0)]


def overlong_body(declared: int = 10, actual: int = 100) -> list[Step]:
    """A response whose body (``actual`` bytes) is longer than its Content-Length (``declared``)."""
    body = (b"<p>" + b"x" * actual)[:actual]
    return [(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
             % declared + body, 0.0)]


def retry_after(status: int = 429, seconds: int = 1) -> list[Step]:
    """A ``status`` (429 or 503) response with ``Retry-After: seconds``."""
    reason = {429: b"Too Many Requests", 503: b"Service Unavailable"}.get(status, b"Error")
    return [(b"HTTP/1.1 %d %s\r\nRetry-After: %d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
             % (status, reason, seconds), 0.0)]


def slow_body(total_s: float = 30.0, chunks: int = 60) -> list[Step]:
    """Headers at once, then the body one chunk at a time over ``total_s`` seconds."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
    return [(head, 0.0)] + [(b"slow chunk\n", total_s / chunks) for _ in range(chunks)]


# --------------------------------------------------------------------------- the archive

#: Event kinds no archivist command writes; a correctly chained one must still fail ``verify``.
FORGED_EVENT_KINDS = ("deleted", "purged", "removed")

#: ``--db`` values that must give one clear line and exit 2.
BAD_DB_URLS = ("postgresql://", "nosuchdb://x", "sqlite:////nonexistent/dir/archive.sqlite3", "::::", "postgresql://u@256.0.0.1:1/x")


def long_query(words: int = 2000, seed: int = 0) -> str:
    """A search query of ``words`` words with operators sprinkled in (``OR``, ``-x``, quotes)."""
    rng = random.Random(seed)
    vocab = ["prison", "execution", "1988", "report", "family", "OR", "-absent", '"mass grave"', "AND", "NOT", "*"]
    return " ".join(rng.choice(vocab) for _ in range(words))


def corrupt_database(path: Path, size: int = 8192, seed: int = 0) -> Path:
    """Write ``size`` bytes that start like an SQLite file but are garbage after the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00" + random.Random(seed).randbytes(size - 16))
    return path


def fuzz_examples(n: int) -> int:
    """``n`` Hypothesis examples, times ``$ARCHIVIST_FUZZ_EXAMPLES`` (default 1) for longer local runs."""
    return n * max(1, int(os.environ.get("ARCHIVIST_FUZZ_EXAMPLES", "1") or 1))


def wait_for(predicate, timeout_s: float = 10.0, step_s: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passes; return its last value."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())
