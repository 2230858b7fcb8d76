"""Where a PostGIS workbook lives: parsing a ``--out`` target, hiding its password, connecting, explaining errors.

A workbook target is a libpq connection string with the workbook's schema added:
``postgresql://USER@HOST:PORT/DB?schema=NAME`` (a URL), or
``service=NAME schema=NAME`` (keywords: any libpq keyword, plus ``schema``).
Without ``schema`` the workbook is the schema ``blockcheck``. Passwords are
never shown: every message names the target as :func:`redact` writes it.
psycopg 3 is imported only when a database is used (``pip install
'blockcheck[postgis]'``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from blockcheck.errors import DatabaseError, InputError, PermissionDeniedError, StaleEditError

__all__ = [
    "DEFAULT_SCHEMA",
    "DatabaseTarget",
    "connect",
    "database_errors",
    "is_database_target",
    "parse_target",
    "psycopg_modules",
    "redact",
]

#: The schema a target without ``schema=`` names.
DEFAULT_SCHEMA = "blockcheck"
#: Schema names blockcheck accepts: lower-case SQL identifiers short enough for the per-schema role names.
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_KEYWORDS = re.compile(r"^\s*[A-Za-z_]+\s*=")
_PASSWORD_KEYWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*(@)", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&\s]*", re.IGNORECASE)
#: SQLSTATEs the workbook's triggers raise (postgis_schema.py): not permitted, stale row, append-only history.
SQLSTATE_NOT_PERMITTED = "BC001"
SQLSTATE_STALE = "BC002"
SQLSTATE_APPEND_ONLY = "BC003"


def redact(text: object) -> str:
    """`text` with every password of a connection string in it replaced by ``***``."""
    out = _URL_PASSWORD.sub(r"\1***\2", str(text))
    out = _QUERY_PASSWORD.sub(r"\1***", out)
    return _PASSWORD_KEYWORD.sub(r"\1***", out)


def is_database_target(target: object) -> bool:
    """Whether `target` names a PostGIS workbook (a :class:`DatabaseTarget`, a postgresql:// URL or libpq keywords)."""
    if isinstance(target, DatabaseTarget):
        return True
    if not isinstance(target, str):
        return False
    return bool(_URL.match(target)) or bool(_KEYWORDS.match(target) and not os.path.exists(target))


@dataclass(frozen=True)
class DatabaseTarget:
    """A PostGIS workbook: the libpq connection string (without ``schema``) and the schema holding the workbook."""

    conninfo: str
    schema: str

    def __str__(self) -> str:
        """The target as it may be shown: password hidden."""
        return redact(self.where())

    def __repr__(self) -> str:
        """As :meth:`__str__`: a repr ends up in logs and tracebacks, so it never shows the password either."""
        return f"DatabaseTarget({str(self)!r})"

    def where(self) -> str:
        """The target as a user wrote it (``…?schema=NAME`` or ``… schema=NAME``); may hold a password."""
        if _URL.match(self.conninfo):
            parts = urlsplit(self.conninfo)
            query = urlencode([*parse_qsl(parts.query), ("schema", self.schema)])
            return urlunsplit(parts._replace(query=query))
        return f"{self.conninfo} schema={self.schema}"

    def __fspath__(self) -> str:  # pragma: no cover - refuses use as a file name with a clear message
        msg = f"{self}: a PostGIS workbook is not a file; this command accepts only a workbook.gpkg so far."
        raise InputError(msg)


def parse_target(target: str | DatabaseTarget) -> DatabaseTarget:
    """`target` as a :class:`DatabaseTarget`.

    Raises
    ------
    InputError
        The schema name is not a plain lower-case SQL name (says which names are accepted).
    """
    if isinstance(target, DatabaseTarget):
        return target
    text = target.strip()
    schema = None
    if _URL.match(text):
        parts = urlsplit(text)
        query = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "schema":
                schema = value
            else:
                query.append((key, value))
        conninfo = urlunsplit(parts._replace(query=urlencode(query)))
    else:
        found = re.search(r"(?:^|\s)schema\s*=\s*(\S+)", text)
        if found:
            schema = found.group(1).strip("'\"")
            text = (text[: found.start()] + " " + text[found.end() :]).strip()
        conninfo = text
    schema = DEFAULT_SCHEMA if schema is None else schema
    if not _SCHEMA_NAME.match(schema):
        msg = (
            f"{redact(target)}: schema {schema!r} is not accepted. Give a lower-case name of letters, digits and _ "
            "(at most 40 characters, not starting with a digit), e.g. ?schema=huilongguan."
        )
        raise InputError(msg)
    return DatabaseTarget(conninfo=conninfo, schema=schema)


def psycopg_modules():
    """``(psycopg, psycopg.sql)``, imported on first use.

    Raises
    ------
    DatabaseError
        psycopg 3 is not installed (says how to install it).
    """
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        msg = (
            "PostGIS workbooks need psycopg 3, which is not installed. Install it with "
            "`pip install 'blockcheck[postgis]'` (or `pip install 'psycopg[binary]>=3.1'`)."
        )
        raise DatabaseError(msg) from None
    return psycopg, sql


def connect(target: DatabaseTarget):
    """A new psycopg connection to `target` (not in autocommit; the caller commits).

    Raises
    ------
    DatabaseError
        The server cannot be reached or refuses the login (says what to check).
    """
    psycopg, _ = psycopg_modules()
    try:
        return psycopg.connect(target.conninfo, connect_timeout=10, application_name="blockcheck")
    except psycopg.Error as err:
        reason = redact(" ".join(line.strip() for line in str(err).splitlines() if line.strip()) or type(err).__name__)
        msg = (
            f"{target}: cannot connect to the database ({reason}). Check that the server runs and that host, port, "
            "database and user are right; give the password in ~/.pgpass or PGPASSWORD, never in the command."
        )
        raise DatabaseError(msg) from None
    except Exception as err:  # noqa: BLE001 - libpq rejects a malformed connection string with various errors
        msg = f"{target}: not a usable connection string ({redact(err)}). Write postgresql://USER@HOST:PORT/DB?schema=NAME."
        raise DatabaseError(msg) from None


def explain(target: DatabaseTarget, err: Exception) -> DatabaseError:
    """A :class:`DatabaseError` (or subclass) for a psycopg error `err` met while working on `target`."""
    state = getattr(err, "sqlstate", None) or ""
    diag = getattr(err, "diag", None)
    text = redact(getattr(diag, "message_primary", None) or str(err)).strip()
    hint = redact(getattr(diag, "message_hint", None) or "")
    if state in (SQLSTATE_NOT_PERMITTED, SQLSTATE_APPEND_ONLY) or state == "42501":
        fix = hint or (
            "This login's role does not allow it: viewers read, reviewers change only the status of projects and "
            "resources, and the columns a run computes (measurements, evidence, scores) are written only by "
            "`blockcheck run`. Ask the workbook's administrator for another role (`blockcheck db grant`)."
        )
        return PermissionDeniedError(f"{target}: not permitted — {text}. Nothing was changed. {fix}")
    if state == SQLSTATE_STALE:
        fix = hint or "Reload the row and make the change again."
        return StaleEditError(f"{target}: {text}. Nothing was changed. {fix}")
    if state == "55P03":  # lock_timeout: editors kept changes open in a transaction
        return DatabaseError(
            f"{target}: other sessions kept changes to the lists open for too long ({text}). Nothing was changed; "
            "ask the editors to save their edits (in QGIS: toggle editing off) and run again."
        )
    if state in ("40001", "40P01"):
        return DatabaseError(
            f"{target}: a concurrent change collided with this one ({text}). Nothing was changed; run again."
        )
    if state.startswith("08") or state in ("57P01", "57P02", "57P03") or type(err).__name__ == "OperationalError":
        return DatabaseError(
            f"{target}: the connection to the database failed ({text}). Nothing was changed; check that the server "
            "runs and run the command again."
        )
    return DatabaseError(f"{target}: the database refused the change ({text}). Nothing was changed.")


@contextmanager
def database_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn psycopg errors raised in the ``with`` block into :class:`DatabaseError` messages naming `target`."""
    psycopg, _ = psycopg_modules()
    try:
        yield
    except psycopg.Error as err:
        raise explain(target, err) from None
