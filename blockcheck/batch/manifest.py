"""The batch manifest: which districts ``blockcheck batch`` runs, read and checked before anything runs.

A manifest is a TOML file with one ``[[district]]`` table per district::

    [[district]]
    name = "xicheng"                  # also the name of its output folder
    input = "xicheng/input.gpkg"      # a GeoPackage or a folder of layer files
    mapping = "mappings/xicheng.toml" # optional, as `blockcheck run --mapping`
    standards = "beijing"             # optional: a profile name or an overrides TOML file
    demands = "xicheng/demand_survey.xlsx"  # optional, as `--demands`
    visions = "xicheng/vision_survey.xlsx"  # optional, as `--visions`

Paths are relative to the manifest's folder (absolute paths are taken as they
are). :func:`load_manifest` reports every problem of the file at once (unknown
keys, a missing ``name`` or ``input``, duplicate names, files that do not
exist), each naming the district, the key and how to fix it, in one
:class:`blockcheck.errors.ManifestError`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from blockcheck.errors import ManifestError

__all__ = ["DISTRICT_KEYS", "FILE_KEYS", "RESERVED_NAMES", "District", "load_manifest"]

#: The keys of a ``[[district]]`` table: required, then optional.
REQUIRED_KEYS = ("name", "input")
FILE_KEYS = ("mapping", "demands", "visions")
DISTRICT_KEYS = (*REQUIRED_KEYS, "standards", *FILE_KEYS)
#: Names a district's folder may not have: the batch's own outputs live beside the district folders.
RESERVED_NAMES = ("batch_summary.gpkg", "batch_summary.xlsx", "batch_summary.png")
#: Characters a folder name cannot hold on Windows, macOS or Linux.
_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class District:
    """One district of a batch: its name (its output folder) and the files and settings of its run.

    Paths are absolute (resolved against the manifest's folder); ``standards`` is a
    profile name, an overrides file or None (the default profile).
    """

    name: str
    input: Path
    mapping: Path | None = None
    standards: str | Path | None = None
    demands: Path | None = None
    visions: Path | None = None

    def run_options(self) -> dict[str, object]:
        """The keyword arguments of :func:`blockcheck.pipeline.run` this district sets."""
        return {
            "mapping": self.mapping,
            "standards": self.standards,
            "demands": self.demands,
            "visions": self.visions,
        }

    def settings(self) -> dict[str, str]:
        """The district's settings as text (what its digest covers besides the files' contents)."""
        values = {"input": self.input, **self.run_options()}
        return {key: "" if value is None else str(value) for key, value in values.items()}


def _where(index: int, table: dict) -> str:
    """How a message names a district: its position and, when it has one, its name."""
    name = table.get("name")
    return f"[[district]] #{index}" + (f" (name = {name!r})" if isinstance(name, str) and name else "")


def _check_name(where: str, name: object) -> str | None:
    """The problem with a district's name, or None."""
    if not isinstance(name, str) or not name.strip():
        return f'{where}: `name` is missing or empty. Add `name = "..."` (it names the district\'s output folder).'
    if _BAD_NAME.search(name) or name.strip() in (".", "..") or name != name.strip() or name.startswith("."):
        return (
            f"{where}: name = {name!r} cannot be a folder name. Use letters, digits, Chinese characters, '-' or '_' "
            "(no slashes, no leading dot or space)."
        )
    if name.lower() in RESERVED_NAMES:
        return f"{where}: name = {name!r} is the name of the batch's own output. Choose another name."
    return None


def _resolve(base: Path, value: object) -> Path:
    path = Path(os.path.expanduser(str(value)))
    return path if path.is_absolute() else base / path


def _check_file(where: str, key: str, value: object, base: Path, *, folder_ok: bool = False) -> str | None:
    """The problem with a path of a district, or None."""
    if not isinstance(value, str) or not value.strip():
        return f'{where}: `{key}` must be a path in quotes, e.g. {key} = "{key}.toml" (got {value!r}).'
    path = _resolve(base, value)
    if path.is_file() or (folder_ok and path.is_dir()):
        return None
    kind = "file or folder" if folder_ok else "file"
    return (
        f"{where}: {key} = {value!r}: no such {kind} ({path}). Paths are relative to the manifest's folder "
        f"({base}); correct the path or copy the {kind} there."
    )


def _check_standards(where: str, value: object, base: Path) -> str | None:
    from blockcheck.standards import PROFILES

    if isinstance(value, str) and value in PROFILES:
        return None
    problem = _check_file(where, "standards", value, base)
    if problem is None:
        return None
    return f"{problem} Or name a profile: {', '.join(PROFILES)}."


def _district(index: int, table: dict, base: Path) -> tuple[District | None, list[str]]:
    """The district of a ``[[district]]`` table and the problems found in it."""
    where = _where(index, table)
    problems = []
    unknown = [k for k in table if k not in DISTRICT_KEYS]
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}. Allowed: {', '.join(DISTRICT_KEYS)} "
            "(check the spelling)."
        )
    name_problem = _check_name(where, table.get("name"))
    if name_problem:
        problems.append(name_problem)
    if "input" not in table:
        problems.append(f'{where}: `input` is missing. Add `input = "path/to/input.gpkg"` (a GeoPackage or folder).')
    else:
        problems.append(_check_file(where, "input", table["input"], base, folder_ok=True))
    for key in FILE_KEYS:
        if key in table:
            problems.append(_check_file(where, key, table[key], base))
    if "standards" in table:
        problems.append(_check_standards(where, table["standards"], base))
    problems = [p for p in problems if p]
    if problems:
        return None, problems
    from blockcheck.standards import PROFILES

    standards = table.get("standards")
    if standards is not None and standards not in PROFILES:
        standards = _resolve(base, standards).resolve()
    district = District(
        name=table["name"],
        input=_resolve(base, table["input"]).resolve(),
        standards=standards,
        **{key: _resolve(base, table[key]).resolve() if key in table else None for key in FILE_KEYS},
    )
    return district, []


def load_manifest(path: str | os.PathLike) -> list[District]:
    """The districts of the manifest at `path`, in its order, after checking all of it.

    Parameters
    ----------
    path
        The manifest (TOML), one ``[[district]]`` table per district.

    Returns
    -------
    list of District
        One per ``[[district]]`` table, paths resolved against the manifest's folder.

    Raises
    ------
    ManifestError
        The file cannot be read or parsed, or has problems: all of them are
        listed in the message, each with the district, the key and the fix.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{path}: no such manifest. Give the path of a TOML file with one [[district]] table per district."
        raise ManifestError(msg) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f'{path}: not a readable TOML file ({exc}). Fix the syntax (UTF-8, key = "value", [[district]] tables).'
        raise ManifestError(msg) from None
    base = path.resolve().parent
    problems = [
        f"top level: unknown key {key!r}. A manifest holds only [[district]] tables; "
        f"move {key!r} into one or remove it."
        for key in doc
        if key != "district"
    ]
    tables = doc.get("district", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append("`district` must be tables written [[district]] (one per district), not a key or [district].")
        tables = []
    elif not tables:
        problems.append("no [[district]] table. Add one per district, each with `name` and `input`.")
    districts, seen = [], {}
    for index, table in enumerate(tables, start=1):
        district, found = _district(index, table, base)
        problems += found
        name = table.get("name")
        if isinstance(name, str) and name:
            key = name.casefold()  # folder names: Windows and macOS do not tell case apart
            if key in seen:
                problems.append(
                    f"[[district]] #{index}: name = {name!r} is also the name of [[district]] #{seen[key]}. "
                    "Each district needs its own name (it names its output folder)."
                )
            else:
                seen[key] = index
        if district is not None:
            districts.append(district)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        msg = f"{path}: {len(problems)} problem(s) in the manifest; nothing was run:\n{lines}"
        raise ManifestError(msg)
    return districts
