"""The bag explains itself: custody (PREMIS), anchors, time-stamp tokens and a stand-alone verify_bag.py.

verify_bag.py runs in a fresh virtual environment that holds only ``cryptography`` (and what it needs:
cffi, pycparser). The environment is made once per session without network: ``python -m venv
--without-pip``, then the installed distributions of exactly those three packages are linked into its
site-packages (by their own file lists). A check in the test proves archivist, bagit and lxml are not
importable there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import bagit
import pytest
from lxml import etree

from conftest import CORPUS, Cli
from storage.integrity.premis import PREMIS_NS
from storage.integrity.timestamps import request_token
from tsa_server import TsaServer, make_pki

ONLY = ("cryptography", "cffi", "pycparser")
# The bare interpreter must not inherit a path to the repository or its packages from the test run.
BARE_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE")}


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory) -> Path:
    """The python of a new venv holding only cryptography (+ cffi, pycparser), made offline."""
    venv = tmp_path_factory.mktemp("venv") / "vb"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    here = Path(sysconfig.get_paths()["purelib"])
    for name in ONLY:
        for top in {Path(str(f)).parts[0] for f in metadata.distribution(name).files or []}:
            if (here / top).exists() and not (site / top).exists():
                (site / top).symlink_to(here / top)
    probe = subprocess.run([str(python), "-c", "import cryptography.x509, importlib.util as u; "
                            "print([m for m in ('storage', 'bagit', 'lxml', 'rfc3161_client') if u.find_spec(m)])"],
                           capture_output=True, text=True, cwd=venv, env=BARE_ENV)
    assert probe.returncode == 0 and probe.stdout.strip() == "[]", probe.stdout + probe.stderr
    return python


@pytest.fixture(scope="module")
def corpus_bag(tmp_path_factory, tsa) -> Path:
    """The corpus archive, anchored and time-stamped, exported as a bag."""
    root = tmp_path_factory.mktemp("corpus")
    cli = Cli(root / "archive")
    cli("ingest", "--no-prefect", str(CORPUS))
    cli("anchor")
    cli("timestamp", "--tsa", tsa.url)
    cli("export", str(root / "bag"))
    return root / "bag"


@pytest.fixture
def bag(corpus_bag, tmp_path) -> Path:
    copy = tmp_path / "bag"
    shutil.copytree(corpus_bag, copy)
    return copy


def run_verifier(python: Path, bag: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # cwd elsewhere: nothing of the repository is on the path
    return subprocess.run([str(python), str(bag / "verify_bag.py"), str(bag), *args],
                          capture_output=True, text=True, cwd=bag.parent, timeout=300, env=BARE_ENV)


def rehash(bag: Path) -> None:
    """What a careful forger does after an edit: recompute both manifests (bagit's own code)."""
    bagit.Bag(str(bag)).save(manifests=True)


def test_a_bag_of_the_corpus_archive_passes_in_a_bare_venv(bare_python, corpus_bag, pki):
    done = run_verifier(bare_python, corpus_bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("BAG OK")
    assert "1 time-stamp tokens" in done.stdout and "1 anchors" in done.stdout
    assert "not checked against a trusted CA" not in done.stdout
    bagit.Bag(str(corpus_bag)).validate()  # still an ordinary valid bag, verify_bag.py a listed tag file
    assert "verify_bag.py" in (corpus_bag / "tagmanifest-sha256.txt").read_text()
    without_ca = run_verifier(bare_python, corpus_bag)
    assert without_ca.returncode == 0 and "pass --tsa-ca" in without_ca.stdout


def test_the_custody_record_is_premis_of_the_bags_originals_and_events(corpus_bag):
    tree = etree.parse(str(corpus_bag / "data" / "custody" / "premis.xml"))
    ns = {"p": PREMIS_NS}
    originals = {p.name.split(".")[0] for p in (corpus_bag / "data" / "originals").iterdir()}
    digests = set(tree.xpath("//p:object/p:objectCharacteristics/p:fixity/p:messageDigest/text()", namespaces=ns))
    assert digests == originals
    lines = (corpus_bag / "data" / "events.jsonl").read_text().splitlines()
    assert len(tree.xpath("//p:event", namespaces=ns)) == len(lines)
    kinds = dict(zip(tree.xpath("//p:event/p:eventIdentifier/p:eventIdentifierValue/text()", namespaces=ns),
                     tree.xpath("//p:event/p:eventType/text()", namespaces=ns)))
    stamped = next(json.loads(line)["id"] for line in lines if json.loads(line)["kind"] == "timestamped")
    assert kinds[str(stamped)] == "digital signature generation"
    assert tree.xpath("//p:agent[p:agentType='software']/p:agentName/text()", namespaces=ns)[0] == "archivist"
    # who collected each original: the custody record's collector is a person agent, linked from its ingestion
    records = [json.loads(p.read_text()) for p in (corpus_bag / "data" / "records").glob("*.json")]
    collectors = {f["custody"]["collector"] for r in records for f in r["fetches"]}
    assert collectors and set(tree.xpath("//p:agent[p:agentType='person']/p:agentName/text()",
                                         namespaces=ns)) == collectors
    for ingestion in tree.xpath("//p:event[p:eventType='ingestion']", namespaces=ns):
        roles = ingestion.xpath("p:linkingAgentIdentifier/p:linkingAgentRole/text()", namespaces=ns)
        assert roles == ["executing program", "collector"]
        assert any(d.startswith("custody: collector ") for d in
                   ingestion.xpath("p:eventDetailInformation/p:eventDetail/text()", namespaces=ns))


@pytest.mark.parametrize("forger", [False, True], ids=["plain", "manifests-recomputed"])
def test_a_changed_byte_of_an_original_is_named(bare_python, bag, pki, forger):
    original = sorted((bag / "data" / "originals").iterdir())[0]
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))
    if forger:
        rehash(bag)
    done = run_verifier(bare_python, bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 1
    rel = f"data/originals/{original.name}"
    assert any(line.startswith("FAIL: " + rel) for line in done.stdout.splitlines()), done.stdout


def test_a_removed_event_is_named(bare_python, bag, pki):
    events = bag / "data" / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    removed = json.loads(lines[4])["id"]
    events.write_text("".join(lines[:4] + lines[5:]))
    rehash(bag)
    done = run_verifier(bare_python, bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 1
    assert f"FAIL: event {removed} missing from data/events.jsonl" in done.stdout, done.stdout


def test_an_altered_event_is_named(bare_python, bag, pki):
    events = bag / "data" / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    event = json.loads(lines[2])
    event["outcome"] = "failed"
    lines[2] = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    events.write_text("".join(lines))
    rehash(bag)
    done = run_verifier(bare_python, bag)
    assert done.returncode == 1 and f"FAIL: event {event['id']} ({event['kind']}) does not hash" in done.stdout


def _token_files(bag: Path) -> tuple[Path, Path]:
    [meta] = sorted((bag / "data" / "timestamps").glob("token-*.json"))
    return meta, meta.with_suffix(".tsr")


def test_a_token_over_another_head_is_named(bare_python, bag, pki, tsa):
    """A genuine token from the trusted TSA, over a message naming another hash for the same event."""
    meta_file, tsr = _token_files(bag)
    meta = json.loads(meta_file.read_text())
    forged = meta["message"].replace(meta["head_hash"], "f" * 64)
    token = request_token(tsa.url, forged.encode())
    tsr.write_bytes(token.response)
    meta.update(message=forged, head_hash="f" * 64)
    meta_file.write_text(json.dumps(meta))
    rehash(bag)
    done = run_verifier(bare_python, bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 1
    assert f"FAIL: data/timestamps/{meta_file.name}: covers event {meta['head_id']} with hash {'f' * 64}" \
        in done.stdout, done.stdout


def test_a_token_swapped_for_one_over_another_message_is_named(bare_python, bag, pki, tsa):
    meta_file, tsr = _token_files(bag)
    tsr.write_bytes(request_token(tsa.url, b"some other archive's head").response)
    rehash(bag)
    done = run_verifier(bare_python, bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 1
    assert "message imprint is not the hash of its message" in done.stdout, done.stdout


def test_a_token_from_an_untrusted_authority_is_named(bare_python, bag, tmp_path):
    stranger = make_pki(tmp_path / "stranger", name="Stranger TSA")
    done = run_verifier(bare_python, bag, "--tsa-ca", str(stranger.ca_pem))
    assert done.returncode == 1
    assert "does not reach a trusted CA" in done.stdout, done.stdout


def test_a_token_with_a_flipped_signature_byte_is_named(bare_python, bag, pki):
    _meta, tsr = _token_files(bag)
    data = bytearray(tsr.read_bytes())
    data[-10] ^= 0x01  # inside the signature value, the last field of the token
    tsr.write_bytes(bytes(data))
    rehash(bag)
    done = run_verifier(bare_python, bag, "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 1 and "signature does not verify" in done.stdout, done.stdout


def test_an_altered_anchor_is_named(bare_python, bag):
    [anchor] = (bag / "data" / "anchors").glob("anchor-*.json")
    data = json.loads(anchor.read_text())
    data["anchor"]["counts"]["documents"] += 1
    anchor.write_text(json.dumps(data))
    rehash(bag)
    done = run_verifier(bare_python, bag)
    assert done.returncode == 1
    assert f"FAIL: data/anchors/{anchor.name}: the signature does not match" in done.stdout, done.stdout


def test_not_a_bag_is_exit_2(bare_python, tmp_path):
    (tmp_path / "empty").mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "storage" / "integrity" / "bag_verifier.py",
                tmp_path / "empty" / "verify_bag.py")
    done = run_verifier(bare_python, tmp_path / "empty")
    assert done.returncode == 2 and "not a BagIt bag" in done.stderr


@pytest.mark.parametrize("key", ["ec", "rsa"])
def test_the_stand_alone_token_check_agrees_with_rfc3161_client(key, tmp_path):
    """verify_bag.py's own CMS check (cryptography only) against rfc3161-client's, on EC and RSA authorities."""
    import hashlib

    from storage.integrity import bag_verifier
    from storage.integrity.timestamps import load_ca_certificates, parse_response, verify_signature

    authority = make_pki(tmp_path / key, key=key)
    roots = load_ca_certificates([authority.ca_pem])
    with TsaServer(authority) as server:
        token = request_token(server.url, b"chain head 7")
    digest = hashlib.sha256(b"chain head 7").digest()
    assert verify_signature(parse_response(token.response), digest, roots) is None
    assert bag_verifier.token_problems(token.response, b"chain head 7", roots, []) == []
    assert bag_verifier.token_problems(token.response, b"chain head 8", roots, [])
    assert verify_signature(parse_response(token.response), hashlib.sha256(b"chain head 8").digest(), roots)
    stranger = load_ca_certificates([make_pki(tmp_path / "stranger", key=key).ca_pem])
    assert verify_signature(parse_response(token.response), digest, stranger)
    assert bag_verifier.token_problems(token.response, b"chain head 7", stranger, [])


def test_a_bag_narrowed_to_one_work_passes_and_says_what_it_cannot_check(bare_python, corpus_bag, pki, tmp_path):
    cli = Cli(corpus_bag.parent / "archive")
    works = {json.loads(p.read_text())["work_id"] for p in (corpus_bag / "data" / "records").glob("*.json")}
    cli("export", "--work", str(min(works)), str(tmp_path / "one-work"))
    done = run_verifier(bare_python, tmp_path / "one-work", "--tsa-ca", str(pki.ca_pem))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a narrowed bag" in done.stdout and "1 time-stamp tokens" in done.stdout
