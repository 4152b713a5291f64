"""Containers: every member its own document (its path as provenance, ``part_of``), bombs bounded, nothing lost.

ZIPs and tars are made here with :mod:`zipfile` and :mod:`tarfile`; the zip bomb too.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

from conftest import SEEDS, Cli

from extractors import Hints, extract


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _corpus_zip() -> bytes:
    return _zip({f"corpus/{seed.name}": seed.read_bytes() for seed in SEEDS})


def _blob(cli: Cli, sha: str) -> Path:
    return cli.home / "blobs" / sha[:2] / sha[2:4] / sha


def test_a_zip_of_the_corpus_gives_every_seed_as_its_own_document(cli, tmp_path):
    data = _corpus_zip()
    path = tmp_path / "corpus.zip"
    path.write_bytes(data)
    result = cli.json("ingest", "--no-prefect", str(path))
    assert result["counts"]["stored"] + result["counts"]["new_version"] == 1 + len(SEEDS), result
    docs = cli.json("documents")["documents"]
    container = next(d for d in docs if d["sha256"] == _sha(data))
    assert container["format"] == "zip" and container["part_of"] is None
    assert _blob(cli, container["sha256"]).read_bytes() == data  # the container's own bytes kept
    for seed in SEEDS:
        shown = cli.json("show", _sha(seed.read_bytes()))  # found by SHA-256
        assert shown["source"] == f"{path}!/corpus/{seed.name}"
        assert shown["part_of"] == container["id"] and shown["status"] == "stored"
        assert shown["obtained_by"] == f"part of document {container['id']}"
    assert [p["id"] for p in cli.json("show", str(container["id"]))["parts"]] == \
        [cli.json("show", _sha(s.read_bytes()))["id"] for s in SEEDS]
    cli("verify")


def test_a_tar_gz_keeps_regular_members_and_skips_links_and_unsafe_names(cli, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in (("statements/one.txt", SEEDS[0].read_bytes()), ("../escape.txt", b"outside\n"),
                           ("/etc/absolute.txt", b"absolute\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("statements/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        fifo = tarfile.TarInfo("statements/pipe")
        fifo.type = tarfile.FIFOTYPE
        archive.addfile(fifo)
    path = tmp_path / "statements.tar.gz"
    path.write_bytes(buf.getvalue())
    result = cli.json("ingest", "--no-prefect", str(path))
    assert result["counts"]["stored"] == 2, result
    docs = cli.json("documents")["documents"]
    assert len(docs) == 2
    container = next(d for d in docs if d["part_of"] is None)
    member = next(d for d in docs if d["part_of"] == container["id"])
    assert container["format"] == "tar" and member["source"] == f"{path}!/statements/one.txt"
    assert member["sha256"] == _sha(SEEDS[0].read_bytes())
    warnings = "\n".join(cli.json("show", str(container["id"]))["warnings"])
    for name, why in (("../escape.txt", "'..'"), ("/etc/absolute.txt", "absolute"), ("statements/link", "link"),
                      ("statements/pipe", "special file")):
        assert f"member {name!r} skipped" in warnings and why in warnings, warnings
    assert not (tmp_path / "escape.txt").exists()


def test_a_zip_bomb_is_bounded_warned_and_the_run_goes_on(cli, tmp_path):
    bomb = _zip({"readme.txt": b"A short note kept with the collection.\n", "zeros.bin": b"\0" * (64 << 20)})
    assert len(bomb) < 200_000  # 64 MiB inflated from well under 1 % of it
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_bomb.zip").write_bytes(bomb)
    (inbox / "b_seed.txt").write_bytes(SEEDS[3].read_bytes())
    result = cli.json("ingest", "--no-prefect", str(inbox))
    assert result["counts"]["stored"] == 3, result  # the bomb, its readme, the seed after it
    docs = {Path(d["source"]).name: d for d in cli.json("documents")["documents"]}
    container = docs["a_bomb.zip"]
    assert _blob(cli, container["sha256"]).read_bytes() == bomb
    shown = cli.json("show", str(container["id"]))
    assert any("'zeros.bin' skipped" in w and "decompression bomb" in w for w in shown["warnings"]), shown
    assert [p["source"] for p in shown["parts"]] == [f"{inbox / 'a_bomb.zip'}!/readme.txt"]
    assert docs["b_seed.txt"]["status"] == "stored"


def test_member_count_and_total_size_limits_come_from_the_settings(tmp_path, monkeypatch):
    members = {f"note-{i}.txt": f"Note number {i} about the visits of the families.\n".encode() for i in range(6)}
    path = tmp_path / "notes.zip"
    path.write_bytes(_zip(members))
    for setting, value, kept, warned in (("ARCHIVIST_CONTAINER_MAX_MEMBERS", "4", 4, "more than 4 members"),
                                         ("ARCHIVIST_CONTAINER_MAX_TOTAL_BYTES", "150", 3, "exceed 150 bytes in all")):
        cli = Cli(tmp_path / setting)
        with monkeypatch.context() as env:
            env.setenv(setting, value)
            result = cli.json("ingest", "--no-prefect", str(path))
        docs = cli.json("documents")["documents"]
        parts = [d for d in docs if d["part_of"] is not None]
        assert len(parts) == kept and result["counts"]["stored"] == kept + 1, result  # 3 x 48 bytes fit in 150
        container = next(d for d in docs if d["part_of"] is None)
        assert _blob(cli, container["sha256"]).read_bytes() == path.read_bytes()
        warnings = cli.json("show", str(container["id"]))["warnings"]
        assert len([w for w in warnings if warned in w]) == 6 - kept, warnings


def test_nesting_deeper_than_the_limit_is_kept_as_failed_records(cli, tmp_path, monkeypatch):
    innermost = _zip({"deep.txt": b"The deepest statement of all.\n"})
    middle = _zip({"inner.zip": innermost})
    path = tmp_path / "outer.zip"
    path.write_bytes(_zip({"middle.zip": middle}))
    monkeypatch.setenv("ARCHIVIST_CONTAINER_MAX_DEPTH", "1")
    result = cli.json("ingest", "--no-prefect", str(path))
    assert result["counts"]["stored"] == 2 and result["counts"]["failed"] == 1, result
    docs = {d["source"][len(str(path)):]: d for d in cli.json("documents")["documents"]}
    assert set(docs) == {"", "!/middle.zip", "!/middle.zip!/inner.zip"}
    deep = docs["!/middle.zip!/inner.zip"]
    assert deep["status"] == "failed" and "ARCHIVIST_CONTAINER_MAX_DEPTH" in deep["error"]
    assert deep["part_of"] == docs["!/middle.zip"]["id"] and docs["!/middle.zip"]["part_of"] == docs[""]["id"]
    assert _blob(cli, deep["sha256"]).read_bytes() == innermost


def test_a_broken_zip_is_a_failed_record_with_its_bytes():
    data = _corpus_zip()
    broken = data[: len(data) // 2]
    try:
        extract(broken, Hints(filename="broken.zip"))
    except Exception as exc:  # noqa: BLE001 - the type is what is checked
        assert type(exc).__name__ == "CorruptDocument" and "zip" in str(exc)
    else:
        raise AssertionError("a ZIP cut in half extracted")


def test_a_zip_member_whose_header_understates_its_size_is_skipped():
    data = bytearray(_zip({"small.txt": b"x" * 5000, "ok.txt": b"fine\n"}))
    # the central directory's uncompressed size of small.txt says 10 bytes
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x01\x02"))
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    record = extract(bytes(data), Hints(filename="lying.zip"))
    assert [p.name for p in record.parts] == ["ok.txt"]
    assert any("'small.txt' skipped" in w for w in record.warnings), record.warnings


def _mixed_inputs(root: Path) -> list[str]:
    root.mkdir(parents=True)
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.org", "Collection", "<c@example.org>"
    msg["Date"] = "Mon, 1 Aug 1988 10:00:00 +0000"
    msg.set_content("The collection is attached.\n")
    msg.add_attachment(_corpus_zip(), maintype="application", subtype="zip", filename="corpus.zip")
    (root / "mail.eml").write_bytes(msg.as_bytes())
    (root / "notes.zip").write_bytes(_zip({"a.txt": b"First note of the collection.\n",
                                           "b/broken.pdf": b"%PDF-1.7\n" + b"\0" * 64}))
    return [str(root)]


def _records(cli: Cli) -> list[tuple]:
    docs = cli.json("documents")["documents"]
    sha_of = {d["id"]: d["sha256"] for d in docs}
    return sorted((d["sha256"], d["status"], d["format"], d["source"].rsplit("/in/", 1)[-1],
                   sha_of.get(d["part_of"])) for d in docs)


def test_parts_come_out_the_same_on_both_runners(tmp_path, prefect_harness):
    sources = _mixed_inputs(tmp_path / "in")
    direct, flowed = Cli(tmp_path / "direct"), Cli(tmp_path / "flowed")
    first = direct.json("ingest", "--no-prefect", *sources)
    second = flowed.json("ingest", *sources)
    assert first["counts"] == second["counts"] and first["counts"]["failed"] == 1
    assert first["counts"]["stored"] + first["counts"]["new_version"] == 3 + len(SEEDS) + 1
    assert [(o["source"], o["status"]) for o in first["outcomes"]] == \
        [(o["source"], o["status"]) for o in second["outcomes"]]
    assert _records(direct) == _records(flowed)
    assert sum(1 for r in _records(direct) if r[4] is not None) == 1 + len(SEEDS) + 2
