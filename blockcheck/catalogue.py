"""Reading blockcheck's catalogues (``blockcheck/data/*.toml``) with errors that name the file and the key.

A catalogue is a TOML file of rules, needs, labels or settings: one of the
packaged files in ``blockcheck/data/``, or a user's file laid out like one.
:func:`load_data` reads it into :class:`Entry` tables (plain dicts that know
their file and key path); looking up a key an entry lacks, or taking a value
of the wrong type with :func:`require`, raises
:class:`~blockcheck.errors.CatalogueError` with a message that starts with the
file and the key, e.g.::

    blockcheck/data/provision.toml: provision #3 (key = "elderly_care_beds").standard is missing.

so a malformed catalogue never surfaces as a bare ``KeyError`` or ``TypeError``.
:func:`require_tables` takes an array of tables (``[[rule]]`` …),
:func:`check_keys` lists every missing and unknown key of an entry at once,
and :func:`build` makes a dataclass of an entry with all these checks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from blockcheck.errors import CatalogueError, CatalogueKeyError

__all__ = [
    "PACKAGED_DIR",
    "Entry",
    "build",
    "check_keys",
    "data_path",
    "load_data",
    "location",
    "require",
    "require_tables",
]

#: The packaged catalogues' folder, as messages name it.
PACKAGED_DIR = "blockcheck/data"
#: Fields that identify an item of an array of tables in messages (the first one present).
_ID_FIELDS = ("key", "id", "code", "name", "number", "layer")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_MISSING = object()
_ADD_IT = "Add it (see the other entries and the comments in the file)."
#: What a value of each type is called in a TOML file.
_TYPE_WORDS = {
    str: "text in quotes",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "a list [ … ]",
    dict: "a table",
}


class Entry(dict):
    """A table of a catalogue that knows its file and key path.

    It behaves as the dict :mod:`tomllib` gives, except that ``entry[key]``
    for a missing key raises :class:`~blockcheck.errors.CatalogueKeyError`
    naming the file and the key (a ``KeyError`` too, so code that expects one
    still works; ``get``, ``in`` and pandas' ``map`` behave as usual).

    Attributes
    ----------
    file
        The catalogue file as messages name it (``blockcheck/data/report.toml``
        or a user's path).
    key
        The dotted key path of the table in the file (``""`` for the whole file).
    """

    __slots__ = ("file", "key")

    def __init__(self, data: Mapping = (), file: str = "", key: str = "") -> None:
        super().__init__(data)
        self.file = file
        self.key = key

    def __getitem__(self, key: object) -> object:
        try:
            return super().__getitem__(key)
        except KeyError:
            msg = f"{self.file}: {_child(self.key, key)} is missing. {_ADD_IT}"
            raise CatalogueKeyError(msg) from None

    def __reduce__(self) -> tuple:
        return (Entry, (dict(self), self.file, self.key))


def location(entry: Mapping, key: object = None) -> str:
    """``"<file>: <key path>"`` of `entry` (or of its `key`), for messages.

    Parameters
    ----------
    entry
        An :class:`Entry` from :func:`load_data`; a plain mapping gives ``"?"``
        for its place.
    key
        A key inside `entry`, appended to its path.

    Returns
    -------
    str
    """
    file, path = (entry.file, entry.key) if isinstance(entry, Entry) else ("?", "")
    path = _child(path, key) if key is not None else path
    return f"{file}: {path}" if path else file


def data_path(name: str) -> Traversable:
    """The packaged catalogue `name` (e.g. ``"provision.toml"``) inside the installed blockcheck."""
    return resources.files("blockcheck").joinpath("data", *name.split("/"))


def load_data(name: str, path: str | os.PathLike | None = None) -> Entry:
    """Read a catalogue: the packaged ``blockcheck/data/<name>``, or a user's file laid out like it.

    Parameters
    ----------
    name
        File name inside ``blockcheck/data`` (``"provision.toml"``,
        ``"standards/national.toml"``).
    path
        A user's TOML file to read instead; `name` then only names the
        packaged example in messages.

    Returns
    -------
    Entry
        The whole file; its tables (also those inside arrays) are
        :class:`Entry` objects carrying the file and their key path.

    Raises
    ------
    blockcheck.errors.CatalogueError
        The file is missing, not UTF-8 or not valid TOML (the message names the
        file, and the line for a syntax error).
    """
    if path is None:
        label, source = f"{PACKAGED_DIR}/{name}", data_path(name)
        hint = "(The packaged catalogue was edited or damaged: reinstalling blockcheck restores it.)"
    else:
        label, source = str(path), Path(path)
        hint = f"Compare with the packaged example {PACKAGED_DIR}/{name}."
    try:
        text = source.read_text("utf-8")
    except FileNotFoundError:
        msg = f"{label}: file not found. Give the path of a TOML file laid out like {PACKAGED_DIR}/{name}."
        if path is None:
            msg = f"{label}: file not found. {hint}"
        raise CatalogueError(msg) from None
    except UnicodeDecodeError:
        msg = f"{label}: not UTF-8 text. Save it as UTF-8 (in a text editor: Save As ▸ Encoding UTF-8). {hint}"
        raise CatalogueError(msg) from None
    except OSError as err:
        msg = f"{label}: cannot be read ({err.strerror or err})."
        raise CatalogueError(msg) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{label}: not valid TOML ({err}). Fix the line named. {hint}"
        raise CatalogueError(msg) from None
    return _wrap(doc, label, "")


def require(
    entry: Mapping, key: str, kind: type | tuple[type, ...] | None = None, *, default: object = _MISSING
) -> object:
    """The value of `key` in `entry`, checked: a CatalogueError naming file and key if it is missing or mistyped.

    Parameters
    ----------
    entry
        A table of a catalogue (an :class:`Entry` from :func:`load_data`).
    key
        The key to take.
    kind
        The type (or types) the value must have; ``float`` accepts whole
        numbers too, and no number type accepts ``true`` / ``false``. None: any.
    default
        Returned when `key` is absent (then the key is optional).

    Returns
    -------
    object
        The value.

    Raises
    ------
    blockcheck.errors.CatalogueError
        ``"<file>: <key path> is missing"`` or
        ``"<file>: <key path> = <value> must be <type>"``.
    """
    if key not in entry:
        if default is not _MISSING:
            return default
        msg = f"{location(entry, key)} is missing. {_ADD_IT}"
        raise CatalogueError(msg)
    value = entry[key]
    if kind is not None and not _is_kind(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        words = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        msg = f"{location(entry, key)} = {_toml(value)} must be {words}."
        raise CatalogueError(msg)
    return value


def require_tables(entry: Mapping, key: str) -> list:
    """The array of tables ``[[key]]`` in `entry`: a CatalogueError naming file and key if it is missing or not one.

    Parameters
    ----------
    entry
        A table of a catalogue (an :class:`Entry` from :func:`load_data`), or the whole file.
    key
        The name of the array (``"provision"`` for ``[[provision]]`` entries).

    Returns
    -------
    list of Entry
    """
    items = require(entry, key, list)
    if not all(isinstance(item, Mapping) for item in items):
        msg = f"{location(entry, key)} must be an array of tables, each written [[{key}]] with its fields below."
        raise CatalogueError(msg)
    return items


def build(cls: type, entry: Mapping, types: Mapping[str, type | tuple[type, ...]] | None = None) -> object:
    """The dataclass `cls` made from a catalogue entry whose keys are its fields.

    Fields without a default are required, other keys are refused (all listed
    at once, see :func:`check_keys`); each value is checked with :func:`require`
    against `types` (text where a field is not named there), and lists become
    tuples.

    Parameters
    ----------
    cls
        A dataclass.
    entry
        A table of a catalogue (an :class:`Entry` from :func:`load_data`).
    types
        Field name → type(s) its value must have (default: ``str``).

    Returns
    -------
    object
        An instance of `cls`.

    Raises
    ------
    blockcheck.errors.CatalogueError
        Naming the file, the entry and the missing, unknown or mistyped keys.
    """
    types = types or {}
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    check_keys(entry, required, {f.name for f in fields} - set(required))
    values = {f.name: require(entry, f.name, types.get(f.name, str)) for f in fields if f.name in entry}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def check_keys(entry: Mapping, required: Iterable[str], optional: Iterable[str] | None = ()) -> None:
    """Raise one CatalogueError listing every missing and unknown key of `entry`.

    Parameters
    ----------
    entry
        A table of a catalogue (an :class:`Entry` from :func:`load_data`).
    required
        Keys the entry must have.
    optional
        Keys it may have besides; None allows any other key.

    Raises
    ------
    blockcheck.errors.CatalogueError
        Naming the file, the entry's key path, the missing and the unknown
        keys, and the keys allowed.
    """
    required = tuple(required)
    missing = [k for k in required if k not in entry]
    unknown = [] if optional is None else sorted(set(entry) - set(required) - set(optional))
    if not missing and not unknown:
        return
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"unknown {', '.join(map(str, unknown))}"] if unknown else []
    )
    allowed = "" if optional is None else f" (allowed: {', '.join(sorted({*required, *optional}))})"
    msg = f"{location(entry)}: {'; '.join(parts)}{allowed}."
    raise CatalogueError(msg)


def _is_kind(value: object, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


def _child(path: str, key: object) -> str:
    text = str(key) if _BARE_KEY.match(str(key)) else f'"{key}"'
    return f"{path}.{text}" if path else text


def _item(path: str, n: int, item: object) -> str:
    label = f"{path} #{n}"
    if isinstance(item, Mapping):
        found = next(
            (f for f in _ID_FIELDS if isinstance(item.get(f), str | int) and not isinstance(item.get(f), bool)), None
        )
        if found is not None:
            label += f" ({found} = {_toml(item[found])})"
    return label


def _toml(value: object) -> str:
    """`value` as it is written in a TOML file (for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_child('', k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _wrap(value: object, file: str, path: str) -> object:
    """Tables become :class:`Entry` objects (recursively, also inside arrays)."""
    if isinstance(value, dict):
        return Entry({k: _wrap(v, file, _child(path, k)) for k, v in value.items()}, file, path)
    if isinstance(value, list):
        return [_wrap(v, file, _item(path, n, v)) for n, v in enumerate(value, start=1)]
    return value
