"""Every command's ``--json`` output validates against its documented schema (flows/cli/schemas/).

One real archive (the seed corpus, a Markdown file with notes, a broken PDF)
is built once; every command that has ``--json`` is run on it, and its output
checked against its JSON Schema, with the rules the schemas share: a
``schema_version``, a document's own number under ``id``, every timestamp ISO
8601 in UTC with ``Z``.
"""

from __future__ import annotations

import json
import re

import click
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from conftest import CORPUS, REPO, SEEDS, Cli

SCHEMAS = REPO / "flows" / "cli" / "schemas"
# search's notes name the sentence that cites a note ``cited_at`` (as the web API does): not a time
NOT_TIMES = {"cited_at"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
NOTES_MD = """# Appeal of the families

The families ask for the truth about the mass graves.[^1] They also ask for the names.[^2]

[^1]: Report of the Special Rapporteur on the situation of human rights, A/HRC/37/24, 2018.
[^2]: Amnesty International, Blood-soaked secrets, MDE 13/9421/2018.
"""


def _schemas() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMAS.glob("*.json"))}


def validator(name: str) -> Draft202012Validator:
    """The validator of schema ``name`` (its ``$ref`` s to common.json resolved locally)."""
    schemas = _schemas()
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return Draft202012Validator(schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_commands() -> set[str]:
    """Every command (``db current`` as one name) that has a ``--json`` option."""
    from flows.cli.app import cli

    found: set[str] = set()

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            elif any(getattr(p, "name", None) == "as_json" for p in command.params):
                found.add(prefix + name)

    walk(cli, "")
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, object]:
    """Each command's --json output on one archive, by schema name."""
    root = tmp_path_factory.mktemp("json")
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / "appeal.md").write_text(NOTES_MD, encoding="utf-8")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, no xref\n")
    sources = root / "sources.toml"
    sources.write_text(f'[source.inbox]\npaths = ["{inbox}"]\n', encoding="utf-8")
    cli = Cli(root / "archive")
    out: dict[str, object] = {"init": cli.json("init")}
    out["ingest"] = cli.json("ingest", "--no-prefect", str(CORPUS))
    cli.json("ingest", "--no-prefect", str(inbox), expect=None)
    docs = cli.json("documents")["documents"]
    appeal = next(d for d in docs if d["source"].endswith("appeal.md"))
    out.update({
        "documents": cli.json("documents"), "works": cli.json("works"), "runs": cli.json("runs"),
        "show": cli.json("show", str(appeal["id"])), "show-note": cli.json("show", str(appeal["id"]), "--note", "1"),
        "search": cli.json("search", "executions"), "history": cli.json("history", "1"),
        "diff": cli.json("diff", "1", "2"), "cites": cli.json("cites", "A/HRC/37/24"),
        "regroup": cli.json("regroup"), "sources": cli.json("sources", str(sources)),
        "db current": cli.json("db", "current"), "db upgrade": cli.json("db", "upgrade"),
        "verify": cli.json("verify"), "repair": cli.json("repair", "--dry-run"),
        "anchor": cli.json("anchor", "--out", str(root / "anchor.json")),
        "export": cli.json("export", str(root / "bag")),
        # an authority that cannot be reached: the failure is reported (exit 1), as JSON too
        "timestamp": cli.json("timestamp", "--tsa", "http://127.0.0.1:9/tsa", expect=1),
    })
    return out


SCHEMA_OF = {"db current": "db-current", "db upgrade": "db-upgrade"}


def test_every_json_command_has_a_schema_and_is_checked_here(outputs):
    schemas = set(_schemas()) - {"common"}
    commands = json_commands()
    assert {SCHEMA_OF.get(c, c) for c in commands} <= schemas, "a --json command without a schema"
    assert commands <= set(outputs), "a --json command this test does not run"


@pytest.mark.parametrize("name", sorted(set(_schemas()) - {"common"}))
def test_output_validates_against_its_schema(outputs, name):
    command = next((c for c, s in SCHEMA_OF.items() if s == name), name)
    data = outputs[command]
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert isinstance(data, dict) and next(iter(data)) == "schema_version"


def _walk(value, path=""):
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _walk(item, f"{path}[{n}]")


def test_one_timestamp_format_and_one_name_for_a_documents_id(outputs):
    for command, data in outputs.items():
        for path, obj in _walk(data):
            for key, value in obj.items():
                if key.endswith("_at") and key not in NOT_TIMES and value is not None:
                    assert isinstance(value, str) and TIMESTAMP.match(value), (command, path, key, value)
            if "sha256" in obj and "media_type" in obj:  # a document record
                assert "id" in obj and "document_id" not in obj, (command, path)


def test_a_schema_rejects_what_breaks_the_rules(outputs):
    """The schemas are not vacuous: a timestamp without Z, a missing key, a wrong version fail."""
    docs = json.loads(json.dumps(outputs["documents"]))
    docs["documents"][0]["ingested_at"] = docs["documents"][0]["ingested_at"].replace("Z", "+00:00")
    assert list(validator("documents").iter_errors(docs))
    runs = json.loads(json.dumps(outputs["runs"]))
    del runs["runs"][0]["duration_s"]
    assert list(validator("runs").iter_errors(runs))
    shown = dict(outputs["show"], schema_version=2)
    assert list(validator("show").iter_errors(shown))


def test_csl_stays_a_list_without_a_version(tmp_path):
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(SEEDS[0]))
    data = json.loads(cli("show", "1", "--csl").stdout)
    assert isinstance(data, list)


def test_schemas_are_valid_json_schemas():
    for name, schema in _schemas().items():
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"/{name}.json")

