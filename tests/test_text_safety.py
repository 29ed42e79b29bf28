"""Untrusted text without bidi controls: a name cannot display as something else (core, no Qt)."""

from __future__ import annotations

import csv
import io

import pytest

from intulse_desktop.export import csv_cell, write_csv
from intulse_desktop.formatting import without_bidi_controls

CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_bidi_control_is_removed(control):
    assert without_bidi_controls(f"{control}evil{control}") == "evil"


def test_right_to_left_letters_are_kept():
    assert without_bidi_controls("שלום Dana مرحبا") == "שלום Dana مرحبا"


def test_the_csv_export_shows_no_bidi_override():
    out = io.StringIO()
    write_csv(
        [{"remote_party_name": "\u202eevil", "remote_party_number": "+1317\u202e5550142"}],
        ["remote_party_name", "remote_party_number"],
        out,
    )
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row == {"remote_party_name": "evil", "remote_party_number": "+13175550142"}


def test_a_formula_hidden_behind_a_bidi_control_is_still_defused():
    assert csv_cell("\u202e=HYPERLINK(1)") == "'=HYPERLINK(1)"
