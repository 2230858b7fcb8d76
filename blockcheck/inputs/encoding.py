"""Detecting the text encoding of shapefile attributes (.dbf) that come without a .cpg file.

Chinese shapefiles are often written in GBK/GB18030 with no .cpg, and then read
as garbage. :func:`detect_dbf_encoding` decides from the .cpg file, the .dbf
language-driver byte and, failing both, from whether the character fields
decode as UTF-8 or as GB18030.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DbfEncoding", "detect_dbf_encoding"]

# dBase language driver ids that mean Chinese code pages.
_LDID_CHINESE = {0x4D: "GB18030", 0x7A: "GB18030", 0x78: "BIG5", 0x4F: "BIG5"}
_SAMPLE_BYTES = 4_000_000


@dataclass(frozen=True)
class DbfEncoding:
    """What was found out about a shapefile's attribute encoding."""

    encoding: str | None  # None: undecidable
    how: str  # "cpg", "ldid", "utf-8 decodes", "gb18030 decodes", "ascii only", "undecidable"
    has_cpg: bool


def _dbf_text_bytes(dbf: Path) -> bytes:
    """The bytes of all character (C) fields of the first records of a .dbf."""
    with dbf.open("rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return b""
        n_records, header_len, record_len = struct.unpack("<IHH", header[4:12])
        descriptors = fh.read(header_len - 32)
        fields = []
        offset = 1  # deletion flag
        for i in range(0, len(descriptors) - 1, 32):
            desc = descriptors[i : i + 32]
            if len(desc) < 32 or desc[0] == 0x0D:
                break
            ftype, flen = chr(desc[11]), desc[16]
            if ftype == "C":
                fields.append((offset, flen))
            offset += flen
        fh.seek(header_len)
        body = fh.read(min(n_records * record_len, _SAMPLE_BYTES))
    chunks = []
    for start in range(0, len(body) - record_len + 1, max(record_len, 1)):
        record = body[start : start + record_len]
        chunks.extend(record[o : o + n].rstrip(b" \x00") for o, n in fields)
    return b"\n".join(chunks)


def detect_dbf_encoding(shp_path: str | os.PathLike) -> DbfEncoding:
    """Decide the attribute encoding of a shapefile.

    Order: the .cpg file; the .dbf language-driver id (byte 29); otherwise
    the character fields are test-decoded: pure ASCII → UTF-8; valid UTF-8 →
    UTF-8; valid GB18030 → GB18030; else undecidable.
    """
    shp = Path(shp_path)
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists():
        cpg = shp.with_suffix(".CPG")
    if cpg.exists():
        return DbfEncoding(cpg.read_text("ascii", errors="ignore").strip() or None, "cpg", True)
    dbf = shp.with_suffix(".dbf")
    if not dbf.exists():
        return DbfEncoding(None, "undecidable", False)
    with dbf.open("rb") as fh:
        header = fh.read(32)
    if len(header) >= 30 and header[29] in _LDID_CHINESE:
        return DbfEncoding(_LDID_CHINESE[header[29]], "ldid", False)
    data = _dbf_text_bytes(dbf)
    if data.isascii():
        return DbfEncoding("UTF-8", "ascii only", False)
    try:
        data.decode("utf-8")
        return DbfEncoding("UTF-8", "utf-8 decodes", False)
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return DbfEncoding("GB18030", "gb18030 decodes", False)
    except UnicodeDecodeError:
        return DbfEncoding(None, "undecidable", False)
