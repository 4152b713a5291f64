"""``expand``: what a folder contributes, in which order, with what left out.

A folder of hundreds of thousands of files is walked with one ``lstat`` a
file and its folders resolved once; the result must be what the plain
``pathlib`` definition gives (:func:`_by_pathlib`, the walk as it was written
first): the same paths, spelled the same way, in the same order.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.sources.model import expand


def _by_pathlib(folder: Path, follow_links: bool) -> tuple[list[str], list[str]]:
    """Files (sorted as Paths) and the skipped lines, by pathlib alone."""
    found, skipped = [], []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        base = Path(root)
        for name in sorted(dirs):
            if name.startswith("."):
                skipped.append(f"{base / name}: skipped, hidden folder")
                dirs.remove(name)
            elif (base / name).is_symlink() and not follow_links:
                skipped.append(f"{base / name}: skipped, a symbolic link (not followed)")
        for name in sorted(files):
            path = base / name
            if name.startswith("."):
                skipped.append(f"{path}: skipped, hidden file")
            elif path.is_symlink() and not follow_links:
                skipped.append(f"{path}: skipped, a symbolic link (not followed)")
            elif path.is_file():
                found.append(path)
            else:
                skipped.append(f"{path}: skipped, not a regular file")
    unique, seen = [], set()
    for path in sorted(found):  # a file met twice (a followed link) once, where it comes first
        if str(path.resolve()) not in seen:
            seen.add(str(path.resolve()))
            unique.append(str(path))
    return unique, skipped


def _tree(root: Path) -> Path:
    folder = root / "inbox"
    for rel in ["a/b.txt", "a-b.txt", "a.txt", "A.txt", "a/c/d.txt", "z/y/x.txt", "ü/ß.txt", ".hidden.txt",
                ".git/config", "a b/c.txt", "10.txt", "9.txt"]:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel, encoding="utf-8")
    (folder / "link-to-a.txt").symlink_to(folder / "a.txt")
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    (folder / "link-to-z").symlink_to(folder / "z", target_is_directory=True)
    os.mkfifo(folder / "a" / "pipe")
    return folder


@pytest.mark.parametrize("follow_links", [False, True])
def test_a_folder_expands_to_what_pathlib_gives_in_the_same_order(tmp_path, follow_links):
    folder = _tree(tmp_path)
    skipped: list[str] = []
    items = expand([str(folder)], follow_links=follow_links, skipped=skipped)
    files, noted = _by_pathlib(folder, follow_links)
    assert [i.location for i in items] == files
    assert str(folder / "link-to-a.txt") not in [i.location for i in items]  # a followed link: its file, once
    assert skipped == noted
    assert str(folder / "a-b.txt") in files and files.index(str(folder / "a" / "b.txt")) < files.index(
        str(folder / "a-b.txt"))  # by component: "a/b.txt" before "a-b.txt", though "-" sorts before "/"


def test_a_relative_folder_keeps_the_spelling_pathlib_gives_it(tmp_path, monkeypatch):
    folder = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for given in ("./inbox", "inbox/", "inbox//a/.."):
        items = expand([given])
        files, _ = _by_pathlib(Path(given), follow_links=False)
        assert [i.location for i in items] == files
        assert items[0].location.startswith("inbox" + os.sep)
    assert [i.location for i in expand(["."])][:1] == [str(Path("inbox") / "10.txt")]
    assert len(expand(["inbox", str(folder), "./inbox/a.txt"])) == len(expand(["inbox"]))  # the same files once
