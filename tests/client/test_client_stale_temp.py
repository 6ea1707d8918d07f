"""A save cleans up the temp files a killed save left next to its target: only ours, only old (item 13)."""

from __future__ import annotations

import os
import time

from foundry_imagegen import GeneratedImage
from foundry_imagegen._shell.disk import STALE_TEMP_AGE, remove_stale_temp_files
from tests.testkit import make_png


def aged(path, seconds):
    path.write_bytes(b"partial junk")
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))
    return path


def test_old_temp_files_of_this_target_go_young_ones_and_others_stay(tmp_path):
    old = aged(tmp_path / ".img.png.0123456789ab.tmp", STALE_TEMP_AGE + 60)
    young = aged(tmp_path / ".img.png.ba9876543210.tmp", 5)
    other_target = aged(tmp_path / ".other.png.0123456789ab.tmp", STALE_TEMP_AGE + 60)
    not_ours = aged(tmp_path / ".img.png.notours.tmp", STALE_TEMP_AGE + 60)
    users = aged(tmp_path / "img.png.0123456789ab.tmp", STALE_TEMP_AGE + 60)
    GeneratedImage(id="ig", data=make_png(), format="png").save(tmp_path / "img.png")
    assert not old.exists()
    assert young.exists() and other_target.exists() and not_ours.exists() and users.exists()
    assert (tmp_path / "img.png").exists()


def test_a_link_named_like_ours_is_left_alone(tmp_path):
    target = tmp_path / "precious"
    target.write_bytes(b"keep")
    link = tmp_path / ".img.png.0123456789ab.tmp"
    link.symlink_to(target)
    stamp = time.time() - STALE_TEMP_AGE - 60
    os.utime(link, (stamp, stamp), follow_symlinks=False)
    assert remove_stale_temp_files(tmp_path / "img.png") == []
    assert link.is_symlink() and target.read_bytes() == b"keep"


def test_glob_characters_in_the_name_are_literal(tmp_path):
    old = aged(tmp_path / ".[a].png.0123456789ab.tmp", STALE_TEMP_AGE + 60)
    neighbour = aged(tmp_path / ".a.png.0123456789ab.tmp", STALE_TEMP_AGE + 60)
    assert remove_stale_temp_files(tmp_path / "[a].png") == [old]
    assert neighbour.exists()
