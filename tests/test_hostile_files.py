"""`optimizer validate` on files that are not honest workbooks.

Each must end in exit code 3 with a clear one-line reason: no hang, no traceback, no runaway
memory, and the file left as it was. The CLI runs in a subprocess with a short timeout and (on
POSIX) a cap on its address space, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import sha256, tiny_sheets, write_workbook

MEMORY_CAP = 4 << 30  # bytes of address space for the CLI under test


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def validate(path: Path, timeout: float = 180) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `optimizer validate PATH` in a fresh interpreter; fail (not hang) on a timeout."""
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "optimizer", "validate", str(path)], capture_output=True,
            text=True, timeout=timeout, preexec_fn=_cap_memory if sys.platform != "win32" else None)
    except subprocess.TimeoutExpired:
        pytest.fail(f"validate did not finish within {timeout} s on {path.name}")
    return result, time.perf_counter() - start


def refused(path: Path, *says: str, timeout: float = 180) -> str:
    """Exit 3, every fragment of `says` in the output, no traceback, input unchanged."""
    before = sha256(path) if path.is_file() else None
    result, _ = validate(path, timeout)
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert result.returncode == 3, f"exit {result.returncode}:\n{out}"
    assert "error: " in out, out
    for fragment in says:
        assert fragment in out, f"{fragment!r} not in:\n{out}"
    if before is not None:
        assert sha256(path) == before, "validate modified its input"
    return out


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "valid.xlsx", tiny_sheets())


def repack(source: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """Copy a workbook's zip parts through `change` (name -> bytes, edited in place)."""
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    change(parts)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return target


def test_the_valid_workbook_passes(valid: Path) -> None:
    """The base of every case below is fine as it is."""
    result, _ = validate(valid)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# Not a workbook at all


def test_text_file_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("country,material,quantity\nJPN,OXIDE,100\n")
    refused(path, "not an Excel .xlsx workbook", "not a zip")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    refused(path, "not an Excel .xlsx workbook")


def test_truncated_workbook(tmp_path: Path, valid: Path) -> None:
    """The first half of a valid workbook, as a broken download leaves it."""
    data = valid.read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "damaged or truncated")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
        zf.writestr("data/supply.csv", "country,price\nCHN,10\n")
    refused(path, "not an Excel .xlsx workbook", "xl/workbook.xml")


def test_workbook_with_broken_xml(tmp_path: Path, valid: Path) -> None:
    """A workbook part that is not well-formed XML."""

    def break_xml(parts: dict[str, bytes]) -> None:
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"][:-40]

    refused(repack(valid, tmp_path / "broken.xlsx", break_xml), "cannot be read")


def test_password_protected_workbook(tmp_path: Path, valid: Path) -> None:
    """A real encrypted workbook (an OLE container holding EncryptionInfo/EncryptedPackage)."""
    msoffcrypto = pytest.importorskip("msoffcrypto")
    path = tmp_path / "locked.xlsx"
    with valid.open("rb") as plain, path.open("wb") as locked:
        office = msoffcrypto.OfficeFile(plain)
        if not hasattr(office, "encrypt"):
            pytest.skip("this msoffcrypto-tool cannot encrypt")
        office.encrypt("secret", locked)
    refused(path, "password-protected")


def test_legacy_xls_file(tmp_path: Path) -> None:
    """An OLE compound file (what a .xls saved as .xlsx looks like)."""
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    refused(path, "legacy .xls", "save it from Excel as .xlsx")


def test_nonexistent_path(tmp_path: Path) -> None:
    out = refused(tmp_path / "nowhere.xlsx", "not found")
    assert "nowhere.xlsx" in out


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "inputs.xlsx"
    folder.mkdir()
    refused(folder, "folder")


# ---------------------------------------------------------------------------------------------
# Bombs: refused before any XML parser runs (zip) or by the parser's defences (entities)


def test_zip_bomb_is_refused_quickly(tmp_path: Path, valid: Path) -> None:
    """A valid workbook whose first sheet is padded with 50 MB of spaces (~60 kB on disk)."""

    def pad(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet1.xml"
        parts[sheet] = parts[sheet].replace(b"</worksheet>", b" " * (50 << 20) + b"</worksheet>")

    path = repack(valid, tmp_path / "bomb.xlsx", pad)
    assert path.stat().st_size < 1 << 20
    before = sha256(path)
    result, _ = validate(path)
    out = result.stdout + result.stderr
    assert result.returncode == 3, out
    # The zip guard's own words: refused before any XML parser inflated the sheet.
    assert "zip bomb" in out and "expands" in out, out
    assert "Traceback" not in out
    assert sha256(path) == before


def test_workbook_with_too_many_parts(tmp_path: Path, valid: Path) -> None:
    def stuff(parts: dict[str, bytes]) -> None:
        for i in range(10_001):
            parts[f"xl/media/pad{i}.bin"] = b""

    refused(repack(valid, tmp_path / "parts.xlsx", stuff), "parts", "zip bomb")


def test_zip_that_understates_its_sizes(tmp_path: Path, valid: Path) -> None:
    """A sheet of ~20 MB whose zip headers claim 1,000 bytes, to slip past the size guard: the
    reader must not trust the headers (here the CRC check stops it)."""
    sheet = "xl/worksheets/sheet9.xml"  # demand
    row = (b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>JPN</t></is></c>'
           b'<c r="D%d"><v>1</v></c></row>')

    def grow(parts: dict[str, bytes]) -> None:
        rows = b"".join(row % (i, i, i) for i in range(3, 200_000))
        parts[sheet] = parts[sheet].replace(b"</sheetData>", rows + b"</sheetData>")

    path = repack(valid, tmp_path / "liar.xlsx", grow)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(sheet)
    assert info.file_size > 10 << 20
    struct.pack_into("<I", data, info.header_offset + 22, 1000)  # local header
    name = sheet.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory
        length = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + length] == name:
            struct.pack_into("<I", data, pos + 24, 1000)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(sheet).file_size == 1000
    refused(path, "cannot be read")


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10)
                     for i in range(1, 10))
          + b"]>\n")  # &lol9; expands to 10^9 "lol"s


def _bomb_in_sheet(parts: dict[str, bytes]) -> None:
    sheet = "xl/worksheets/sheet2.xml"  # countries
    parts[sheet] = LAUGHS + parts[sheet].replace(b"<t>China</t>", b"<t>&lol9;</t>")


def _bomb_in_shared_strings(parts: dict[str, bytes]) -> None:
    ns = b"http://schemas.openxmlformats.org/"
    parts["xl/sharedStrings.xml"] = LAUGHS + (
        b'<sst xmlns="' + ns + b'spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol9;</t></si></sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Type="' + ns + b'officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml" Id="rId99"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet = "xl/worksheets/sheet2.xml"
    inline = b'<c r="B2" t="inlineStr"><is><t>China</t></is></c>'
    assert inline in parts[sheet]
    parts[sheet] = parts[sheet].replace(inline, b'<c r="B2" t="s"><v>0</v></c>')


def _bomb_in_workbook_xml(parts: dict[str, bytes]) -> None:
    parts["xl/workbook.xml"] = LAUGHS + parts["xl/workbook.xml"].replace(
        b'name="settings"', b'name="&lol9;"')


@pytest.mark.parametrize("plant", [
    pytest.param(_bomb_in_sheet, id="in-a-sheet"),
    pytest.param(_bomb_in_shared_strings, id="in-sharedStrings"),
    pytest.param(_bomb_in_workbook_xml, id="in-workbook.xml"),
])
def test_xml_entity_bomb_is_refused(tmp_path: Path, valid: Path,
                                    plant: Callable[[dict[str, bytes]], None]) -> None:
    """Billion laughs: tiny on disk and in the zip, 3 GB once expanded by a naive parser."""
    path = repack(valid, tmp_path / "laughs.xlsx", plant)
    refused(path, "declares entities")


def test_external_entity_is_not_followed(tmp_path: Path, valid: Path) -> None:
    """XXE: an entity naming a local file must be refused, its content never echoed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")

    def xxe(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet2.xml"
        doctype = b'<!DOCTYPE w [<!ENTITY x SYSTEM "%s">]>\n' % secret.as_uri().encode()
        parts[sheet] = doctype + parts[sheet].replace(b"<t>China</t>", b"<t>&x;</t>")

    out = refused(repack(valid, tmp_path / "xxe.xlsx", xxe), "declares entities")
    assert "TOP-SECRET-TOKEN" not in out


# ---------------------------------------------------------------------------------------------
# A stray value far from the table


def test_value_in_the_last_cell_of_a_sheet(tmp_path: Path, valid: Path) -> None:
    """An 8 kB workbook with one stray value in the bottom-right cell of `demand`."""
    wb = openpyxl.load_workbook(valid)
    wb["demand"]["XFD1048576"] = 1
    path = tmp_path / "far.xlsx"
    wb.save(path)
    refused(path)


@pytest.mark.parametrize("reference", [
    b"r='XFD1048576'",  # single quotes
    b'r = "XFD1048576"',  # spaces around the equals sign
    b'r="xfd1048576"',  # lower case
], ids=["single-quotes", "spaced", "lower-case"])
def test_far_cell_in_any_form_calamine_reads(tmp_path: Path, valid: Path,
                                             reference: bytes) -> None:
    """The stray cell written as other writers may: calamine places it all the same."""
    def far(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(
            b"</sheetData>", b'<row r="1048576"><c %s><v>1</v></c></row></sheetData>'
            % reference)

    refused(repack(valid, tmp_path / "far.xlsx", far), "used range reaches XFD1048576")


def test_far_cell_in_a_prefixed_element(tmp_path: Path, valid: Path) -> None:
    """SpreadsheetML under a namespace prefix (`<x:c>`) is read by calamine too."""
    def far(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(
            b"</sheetData>", b'<row r="1048576"><x:c xmlns:x="http://schemas.openxmlformats.org'
            b'/spreadsheetml/2006/main" r="XFD1048576"><x:v>1</x:v></x:c></row></sheetData>')

    refused(repack(valid, tmp_path / "far.xlsx", far), "used range reaches XFD1048576")


@pytest.mark.parametrize(("cells", "refused_range"), [
    (b'<c r="A1"/><c r="T999999"/>', None),  # 19,999,980 cells: the quick check passes it
    (b'<c r="S1"/><c r="A1048576"/>', None),  # 19,922,944: counted exactly, passed
    (b'<c r="U1"/><c r="A999999"/>', "U999999"),  # 20,999,979 cells
    (b'<row r="2000000"/><c r="A1"/><c r="B2"/>', None),  # an empty row holds no cell
    # cells without a reference, one after another (calamine skips an empty <c/>; the
    # guard counts it all the same, erring on the side of refusing)
    (b'<row r="999999">' + b"<c/>" * 21 + b"</row>", "U999999"),
    (b'<row r="999998"/><row>' + b"<c/>" * 21 + b"</row>", "U999999"),  # the row after
    (b'<row r="9"><c r="T5"/><c/></row><row r="999999"><c/></row>', "U999999"),
    (b'<row r="1"><c r="A1"r="XFD1048576"/></row>', "XFD1048576"),  # calamine: the last r
    (b'<row r="1"><c r="A1"\tr=\'XFD1048576\'/></row>', "XFD1048576"),
    (b'<row r="3"><c r="E3"/><row><c/><c/></row></row>', "a row inside a row"),
    (b'<row r="3"><c><v>1<row r="9"/></v></c></row>', "a row inside a cell"),
    (b'<row r="5"><c r="C5"/></row><c/>', "a cell outside any row"),
    (b'<row r="A5"><c/></row>', "numbers a row 'A5'"),
])
def test_used_range_limit(cells: bytes, refused_range: str | None) -> None:
    """The limit is on rows x columns up to the last cell, however the sheet is laid out."""
    from optimizer.contract.reader import _refuse_huge_range
    from optimizer.errors import InputError

    xml = b"<worksheet><sheetData>" + cells + b"</sheetData></worksheet>"
    if refused_range is None:
        _refuse_huge_range(Path("book.xlsx"), "demand", xml)
        return
    with pytest.raises(InputError, match=refused_range):
        _refuse_huge_range(Path("book.xlsx"), "demand", xml)


def test_far_cells_without_references(tmp_path: Path, valid: Path) -> None:
    """Cells without a reference go one after another: 16,384 of them on row 1,048,576."""
    def far(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(
            b"</sheetData>", b'<row r="1048576">' + b"<c><v>1</v></c>" * 16_384
            + b"</row></sheetData>")

    refused(repack(valid, tmp_path / "far.xlsx", far), "used range reaches XFD1048576")


def test_used_range_is_where_calamine_places_cells(tmp_path: Path, valid: Path) -> None:
    """Sheets of cells written every way calamine reads (with and without references,
    quoted either way, spaced, lower case, after another attribute, prefixed; rows with and
    without numbers): the guard's used range is calamine's, 300 random sheets."""
    import python_calamine

    from optimizer.contract.reader import _used_range

    rng = random.Random(20261202)
    with zipfile.ZipFile(valid) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet2.xml"]
    head, tail = sheet.split(b"<sheetData>")[0], sheet.split(b"</sheetData>")[1]
    for case in range(300):
        xml = head + b"<sheetData>" + _random_rows(rng) + b"</sheetData>" + tail
        path = repack(valid, tmp_path / f"case{case}.xlsx",
                      lambda p, xml=xml: p.update({"xl/worksheets/sheet2.xml": xml}))
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        end = book.get_sheet_by_index(1).end
        book.close()
        assert _used_range(xml) == (end[0] + 1, end[1] + 1), xml


def _random_rows(rng: random.Random) -> bytes:
    from optimizer.contract.reader import column_letter

    namespace = ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    forms = ['r="{}"', "r='{}'", 'r = "{}"', 't="n" r="{}"']
    rows, number = [], 0
    for _ in range(rng.randint(1, 5)):
        number += rng.randint(1, 30)
        numbered = rng.random() < 0.7
        cells = []
        for _ in range(rng.randint(1, 5)):
            tag, prefix = ("x:c", namespace) if rng.random() < 0.2 else ("c", "")
            ref = ""
            if rng.random() < 0.5:
                row = number if numbered and rng.random() < 0.8 else rng.randint(1, 200)
                letters = column_letter(rng.randint(1, 40))
                ref = " " + rng.choice(forms).format(
                    f"{letters.lower() if rng.random() < 0.2 else letters}{row}")
            cells.append(f"<{tag}{prefix}{ref}><{tag[:-1]}v>1</{tag[:-1]}v></{tag}>")
        row_number = f' r="{number}"' if numbered else ""
        rows.append(f"<row{row_number}>{''.join(cells)}</row>")
    return "".join(rows).encode()


def _sheet_xml_with(cells: bytes) -> Callable[[dict[str, bytes]], None]:
    def plant(parts: dict[str, bytes]) -> None:
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(b"</sheetData>", cells + b"</sheetData>")
    return plant


@pytest.mark.parametrize(("cells", "says"), [
    (b'<row r="1048576"><c r="A1048576"r="XFD1048576"><v>1</v></c></row>',
     "used range reaches XFD1048576"),
    (b'<row r="1048576"><c r="A1048576"><v>1</v></c>' + b"<c><v>1<row/></v></c>" * 3
     + b"</row>", "a row inside a cell"),
], ids=["second-reference", "rows-in-cells"])
def test_far_cell_hidden_in_malformed_xml(tmp_path: Path, valid: Path, cells: bytes,
                                          says: str) -> None:
    """XML no spreadsheet program writes, which calamine reads all the same."""
    refused(repack(valid, tmp_path / "odd.xlsx", _sheet_xml_with(cells)), says)


def test_parts_named_alike_but_for_case(tmp_path: Path, valid: Path) -> None:
    """calamine looks parts up ignoring case, openpyxl not: they could read different sheets."""
    def twin(parts: dict[str, bytes]) -> None:
        parts["xl/worksheets/SHEET2.xml"] = parts["xl/worksheets/sheet2.xml"]

    refused(repack(valid, tmp_path / "twin.xlsx", twin), "named alike but for case")


@pytest.mark.parametrize(("part", "old", "new", "says"), [
    ("_rels/.rels", b'Target="xl/workbook.xml"', b'Target="alt/workbook.xml"',
     "relationships name 'alt/workbook.xml'"),
    ("[Content_Types].xml", b'PartName="/xl/workbook.xml"', b'PartName="/alt/workbook.xml"',
     "content types name 'alt/workbook.xml'"),
], ids=["relationships", "content-types"])
def test_workbook_part_other_than_the_readers_agree_on(tmp_path: Path, valid: Path, part: str,
                                                       old: bytes, new: bytes,
                                                       says: str) -> None:
    """calamine finds the workbook through the relationships, openpyxl through the content
    types: another workbook part for either would let the checks read other sheets."""
    def elsewhere(parts: dict[str, bytes]) -> None:
        assert old in parts[part]
        parts[part] = parts[part].replace(old, new)
        parts["alt/workbook.xml"] = parts["xl/workbook.xml"]

    refused(repack(valid, tmp_path / "alt.xlsx", elsewhere), says)


def test_a_panic_in_calamine_is_an_input_error(monkeypatch: pytest.MonkeyPatch,
                                                valid: Path) -> None:
    """A Rust panic reaches Python as a BaseException; it must still be a clear exit 3."""
    from optimizer.contract import reader
    from optimizer.errors import InputError

    class PanicException(BaseException):
        pass

    def panics(path: Path, titles: list[str]) -> None:
        raise PanicException("chunk size must be non-zero")

    monkeypatch.setattr(reader, "_read_cells", panics)
    with pytest.raises(InputError, match="cannot be read as an Excel workbook"):
        reader.read_workbook(valid)
    monkeypatch.setattr(reader, "_read_cells", lambda *_: (_ for _ in ()).throw(
        KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        reader.read_workbook(valid)


@pytest.mark.parametrize(("part", "text", "says"), [
    ("_rels/.rels", b"garbage<", "damaged or truncated"),
    ("[Content_Types].xml", b'<?xml version="1.0"?><Types', "damaged or truncated"),
    ("_rels/.rels", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
     b"<Relationships>&a;</Relationships>", "declares entities"),
], ids=["garbled-relationships", "cut-content-types", "entities-in-relationships"])
def test_package_parts_that_do_not_parse(tmp_path: Path, valid: Path, part: str, text: bytes,
                                         says: str) -> None:
    def spoil(parts: dict[str, bytes]) -> None:
        parts[part] = text

    refused(repack(valid, tmp_path / "spoilt.xlsx", spoil), says)
