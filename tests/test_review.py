"""`wiki review` edits only the `reviewed:` block: the rest of the file stays as the user had it."""

import datetime as dt
import os
import sys

import pytest
import yaml

from wiki.review import write_review

DAY = dt.date(2026, 12, 2)
PRINTS = {"lewm-stable": "0123456789abcdef", "jepa": "1234567890123456"}
THESIS = """\
# A position we keep re-reading.
kind: thesis
title: Latent planning wins
position: &why Planning in latent space beats pixels.   # our view
confidence: medium
depends_on:
  - claim: lewm-stable
    role: supports
"""
REVIEWED_BEFORE = """\
reviewed:
  date: 2026-01-01
  fingerprints:
    lewm-stable: "ffff"

# end of file: keep me
"""


def review(path, fingerprints=PRINTS):
    write_review(path, fingerprints, DAY)
    return path.read_bytes().decode()


def test_only_the_block_is_added_and_reads_back(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(THESIS)
    text = review(path)
    assert text.startswith(THESIS)  # the unused anchor &why and every comment stay
    data = yaml.safe_load(text)
    assert data["reviewed"] == {"date": DAY, "fingerprints": PRINTS}
    assert data["position"] == "Planning in latent space beats pixels."


def test_a_second_review_replaces_the_block_and_keeps_the_end_of_file_comment(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(THESIS + REVIEWED_BEFORE)
    text = review(path)
    assert text.startswith(THESIS)
    assert text.endswith("\n# end of file: keep me\n")
    assert text.count("reviewed:") == 1 and '"ffff"' not in text
    assert yaml.safe_load(text)["reviewed"]["fingerprints"] == PRINTS


def test_crlf_line_endings_stay_crlf(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes((THESIS + REVIEWED_BEFORE).replace("\n", "\r\n").encode())
    raw = review(path)
    assert raw.count("\n") == raw.count("\r\n") > 10
    assert raw.startswith(THESIS.replace("\n", "\r\n"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_mode_bits_are_kept(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(THESIS)
    path.chmod(0o644)
    review(path)
    assert path.stat().st_mode & 0o7777 == 0o644
    path.chmod(0o664)
    review(path)
    assert path.stat().st_mode & 0o7777 == 0o664


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlinked_page_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "shared" / "t.yaml"
    target.parent.mkdir()
    target.write_text(THESIS)
    link = tmp_path / "t.yaml"
    link.symlink_to(target)
    review(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "reviewed:" in target.read_text()


def test_a_flow_style_document_falls_back_to_a_round_trip(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("{kind: thesis, title: T, position: P, confidence: low}\n")
    data = yaml.safe_load(review(path))
    assert data["reviewed"]["fingerprints"] == PRINTS and data["title"] == "T"


def test_a_failed_write_leaves_the_file_untouched_and_says_why(tmp_path, monkeypatch):
    import errno

    import wiki.atomic_write
    from wiki.atomic_write import WriteError

    path = tmp_path / "t.yaml"
    path.write_text(THESIS)

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wiki.atomic_write.os, "fsync", full)
    with pytest.raises(WriteError, match="no space left on the device"):
        review(path)
    assert path.read_text() == THESIS
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]
