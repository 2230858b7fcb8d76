"""The database side of a PostGIS workbook: tables, triggers, roles, row-level security, grants.

One schema holds one workbook. Its tables carry the workbook's layer names;
the eight lists (:data:`~blockcheck.lists.schema.EIGHT_LISTS`) and
``project_history`` are created here with their columns from
``data/lists.toml``, every other layer by the run that writes it. Each list
row has an integer ``fid`` (QGIS's key) and a ``row_version`` that a trigger
bumps on every update; an update that carries an older version is refused,
naming who changed the row last and when (:data:`SQLSTATE_STALE`).

The database enforces who may change what, not the client:

* three group roles per schema, ``<schema>_analyst``, ``<schema>_reviewer`` and
  ``<schema>_viewer`` (:func:`role_name`), given to logins by :func:`grant`;
* analysts insert, update and delete list rows of the blocks of the
  sub-districts they were granted (not the columns a run computes,
  :data:`COMPUTED_COLUMNS`) (the blocks' ``subdistrict`` in
  ``block_metrics``) — row-level security checks new rows, a trigger refuses
  changes to other blocks' rows with a clear message; reviewers change
  ``status`` of projects and resources anywhere; viewers read;
* every change of a list row is appended to ``change_log`` (who =
  ``current_user``, when, old and new row as jsonb) and every change of a
  project to ``project_history``, both by triggers; nobody but the schema's
  owner may update or delete either.

The owner (the login that ran ``blockcheck db init``, and that runs
``blockcheck run``) bypasses row-level security; its run writes are not logged
row by row (one ``RUN`` entry instead).
"""

from __future__ import annotations

from blockcheck.errors import InputError
from blockcheck.lists.schema import EIGHT_LISTS, list_table
from blockcheck.workbook.edit_marks import provenance_tables
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.postgis_conn import (
    SQLSTATE_APPEND_ONLY,
    SQLSTATE_NOT_PERMITTED,
    SQLSTATE_STALE,
    psycopg_modules,
)

__all__ = [
    "BLOCK_COLUMN",
    "CHANGE_LOG",
    "COMPUTED_COLUMNS",
    "GRANTS_TABLE",
    "ROLES",
    "SCHEMA_VERSION",
    "ensure_workbook",
    "geometry_schema",
    "grant",
    "init_access",
    "revoke",
    "role_name",
]

#: The roles a login can be given.
ROLES = ("analyst", "reviewer", "viewer")
#: The append-only log of every change to a list row, and the table of who was granted which sub-districts.
CHANGE_LOG = "change_log"
GRANTS_TABLE = "bc_grants"
#: Bumped when the functions or triggers change: a run re-creates them when the schema has an older version.
SCHEMA_VERSION = 2
#: The column naming a list row's block (``problem_list``: its scope, a block or ``ALL``); None: no block.
BLOCK_COLUMN = {name: ("scope" if name == "problem_list" else "block_id") for name in EIGHT_LISTS}
BLOCK_COLUMN["policy_list"] = None
#: Columns reviewers may change (the life cycle of projects, the decision on resources).
REVIEWER_COLUMNS = {"project_list": ("status", "row_version"), "resource_list": ("status", "row_version")}
#: Columns a run computes from the data (measurements, evidence, scores): only the owner's run writes them; an
#: analyst edits the rest of a row (and may give every column of a row it adds).
COMPUTED_COLUMNS = {
    "problem_list": (
        "metric_key",
        "observed_value",
        "threshold_value",
        "unit",
        "standard_ref",
        "grade",
        "threshold_term",
        "severity",
        "rule_id",
        "data_status",
    ),
    "resource_list": (
        "land_area_m2",
        "floor_area_m2",
        "potential_floor_area_m2",
        "member_count",
        "source_layer",
        "source_id",
        "rule_id",
        "reason",
        "reason_en",
        "standard_ref",
    ),
    "demand_list": ("raw_text", "source_row"),
    "vision_list": ("source_row",),
    "strategy_list": ("rule_ids",),
    "policy_list": ("catalogue_number",),
    "task_list": ("open_amount",),
    "project_list": ("priority_score", "priority_reason", "priority_reason_en"),
}
_SQL_TYPES = {"str": "text", "int": "bigint", "float": "double precision"}
_POSTGIS_SCHEMA = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis'"


def role_name(schema: str, role: str) -> str:
    """The group role of `role` for the workbook in `schema` (``<schema>_analyst`` …)."""
    return f"{schema}_{role}"


def _ident(*parts: str):
    _, sql = psycopg_modules()
    return sql.Identifier(*parts)


def _lit(value: object):
    _, sql = psycopg_modules()
    return sql.Literal(value)


def _q(conn, template: str, **parts) -> None:
    """Execute `template` with `parts` composed in (identifiers and literals, never text)."""
    _, sql = psycopg_modules()
    conn.execute(sql.SQL(template).format(**parts))


def _regclass_text(conn, schema: str, name: str) -> str:
    """``"schema"."name"`` as text for ``to_regclass`` / ``nextval`` (quoted by psycopg)."""
    return _ident(schema, name).as_string(conn)


def geometry_schema(conn) -> str:
    """The schema PostGIS is installed in, installing it when missing.

    Raises
    ------
    InputError
        PostGIS is neither installed in the database nor installable by this login (says who can).
    """
    row = conn.execute(_POSTGIS_SCHEMA).fetchone()
    if row is None:
        psycopg, _ = psycopg_modules()
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as err:
            msg = (
                f"PostGIS is not installed in this database and cannot be by this login ({err.diag.message_primary}). "
                "Install the package postgresql-15-postgis-3 on the server and have a superuser run "
                "`CREATE EXTENSION postgis;` in the database."
            )
            raise InputError(msg) from None
        row = conn.execute(_POSTGIS_SCHEMA).fetchone()
    return row[0].strip('"')


def _installed_version(conn, schema: str) -> int:
    name = _regclass_text(conn, schema, "bc_schema_version") + "()"
    if conn.execute("SELECT to_regprocedure(%s)", (name,)).fetchone()[0] is None:
        return 0
    _, sql = psycopg_modules()
    return conn.execute(sql.SQL("SELECT {}()").format(_ident(schema, "bc_schema_version"))).fetchone()[0]


def ensure_workbook(conn, schema: str) -> str:
    """Create the schema, the list tables, the log and the triggers when missing; returns PostGIS's schema.

    Idempotent; runs in the caller's transaction.
    """
    gis = geometry_schema(conn)
    _q(conn, "CREATE SCHEMA IF NOT EXISTS {s}", s=_ident(schema))
    _q(
        conn,
        "CREATE TABLE IF NOT EXISTS {t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text NOT "
        "NULL, row_key text, op text NOT NULL, who name NOT NULL DEFAULT current_user, at timestamptz NOT NULL "
        "DEFAULT now(), old_row jsonb, new_row jsonb)",
        t=_ident(schema, CHANGE_LOG),
    )
    _q(
        conn,
        "CREATE TABLE IF NOT EXISTS {t} (login name PRIMARY KEY, role text NOT NULL CHECK (role IN ('analyst', "
        "'reviewer', 'viewer')), subdistricts text[])",
        t=_ident(schema, GRANTS_TABLE),
    )
    _q(conn, "CREATE SEQUENCE IF NOT EXISTS {q}", q=_ident(schema, "project_history_seq"))
    for name in (*EIGHT_LISTS, HISTORY_LAYER):
        _create_list_table(conn, schema, name, gis)
    if _installed_version(conn, schema) < SCHEMA_VERSION:
        _create_functions(conn, schema)
        _create_triggers(conn, schema)
    return gis


def _create_list_table(conn, schema: str, name: str, gis: str) -> None:
    _, sql = psycopg_modules()
    table = list_table(name)
    columns = [sql.SQL("fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")]
    for field in table.fields:
        kind = _SQL_TYPES[field.type]
        if name == HISTORY_LAYER and field.name == "history_id":
            seq = _regclass_text(conn, schema, "project_history_seq")
            columns.append(
                sql.SQL(
                    "history_id text NOT NULL DEFAULT 'H' || lpad(nextval({}::regclass)::text, 6, '0') UNIQUE"
                ).format(_lit(seq))
            )
        elif name == HISTORY_LAYER and field.name == "changed_at":
            columns.append(
                sql.SQL("changed_at text NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', {})").format(
                    _lit('YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
                )
            )
        elif name == HISTORY_LAYER and field.name == "changed_by":
            columns.append(sql.SQL("changed_by text DEFAULT current_user"))
        else:
            unique = sql.SQL(" UNIQUE NOT NULL") if field.name == table.key else sql.SQL("")
            columns.append(sql.SQL("{} {}{}").format(_ident(field.name), sql.SQL(kind), unique))
    if table.geometry != "none":
        columns.append(sql.SQL("geometry {}").format(_ident(gis, "geometry")))
    if name != HISTORY_LAYER:
        columns.append(sql.SQL("row_version bigint NOT NULL DEFAULT 1"))
    conn.execute(
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(_ident(schema, name), sql.SQL(", ").join(columns))
    )


# The trigger functions. {s} is the schema (an identifier), {owner_check} the test "the current user owns the
# schema", {run} "a run of the owner is writing" (set by the run: SET LOCAL blockcheck.run = 'on').
_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION {s}.bc_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $bc$ SELECT {version} $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_is_owner(who name) RETURNS boolean LANGUAGE sql STABLE AS $bc$
  SELECT pg_has_role(who, (SELECT nspowner FROM pg_namespace WHERE nspname = {schema}), 'MEMBER') $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_in_role(who name, role text) RETURNS boolean LANGUAGE sql STABLE AS $bc$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN pg_has_role(who, role, 'MEMBER')
    ELSE false END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_subdistrict(block text) RETURNS text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $bc$
DECLARE found text;
BEGIN
  IF to_regclass({metrics}) IS NULL THEN RETURN NULL; END IF;
  EXECUTE format('SELECT subdistrict::text FROM %s WHERE block_id::text = $1 LIMIT 1', {metrics})
    INTO found USING block;
  RETURN found;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_may_edit(who name, block text) RETURNS boolean LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $bc$
DECLARE subs text[]; granted boolean;
BEGIN
  IF {s}.bc_is_owner(who) OR {s}.bc_in_role(who, {reviewer}) THEN RETURN true; END IF;
  IF NOT {s}.bc_in_role(who, {analyst}) OR block IS NULL OR block = 'ALL' THEN RETURN false; END IF;
  SELECT true, g.subdistricts INTO granted, subs FROM {s}.{grants} g WHERE g.login = who AND g.role = 'analyst';
  IF granted IS NULL THEN RETURN false; END IF;
  RETURN subs IS NULL OR {s}.bc_subdistrict(block) = ANY (subs);
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_guard() RETURNS trigger LANGUAGE plpgsql AS $bc$
DECLARE blocks text[]; block text; key text;
BEGIN
  IF {s}.bc_is_owner(current_user) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    blocks := blocks || (to_jsonb(OLD) ->> TG_ARGV[0]); key := to_jsonb(OLD) ->> TG_ARGV[1];
  END IF;
  IF TG_OP <> 'DELETE' THEN
    blocks := blocks || (to_jsonb(NEW) ->> TG_ARGV[0]); key := to_jsonb(NEW) ->> TG_ARGV[1];
  END IF;
  FOREACH block IN ARRAY blocks LOOP
    IF NOT {s}.bc_may_edit(current_user, block) THEN
      RAISE EXCEPTION USING ERRCODE = {not_permitted},
        MESSAGE = format('%s may not %s row %s of %s: it belongs to block %s (sub-district %s)', current_user,
          lower(TG_OP), coalesce(key, '(new)'), TG_TABLE_NAME, coalesce(block, '(none)'),
          coalesce({s}.bc_subdistrict(block), 'unknown')),
        HINT = 'Edit only the blocks of your sub-districts, or ask the administrator to grant more: '
          'blockcheck db grant URL --user LOGIN --role analyst --subdistricts A,B';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_version() RETURNS trigger LANGUAGE plpgsql AS $bc$
DECLARE key text := to_jsonb(OLD) ->> TG_ARGV[0]; last_who name; last_at timestamptz; last_version bigint;
BEGIN
  IF NEW.row_version IS DISTINCT FROM OLD.row_version THEN
    -- who made the version the row has: its last logged change, or else the last run (a run logs no rows)
    SELECT who, at, (new_row ->> 'row_version')::bigint INTO last_who, last_at, last_version FROM {s}.{log}
      WHERE table_name = TG_TABLE_NAME AND row_key = key ORDER BY id DESC LIMIT 1;
    IF last_version IS DISTINCT FROM OLD.row_version THEN
      SELECT who, at INTO last_who, last_at FROM {s}.{log} WHERE op = 'RUN' ORDER BY id DESC LIMIT 1;
    END IF;
    RAISE EXCEPTION USING ERRCODE = {stale},
      MESSAGE = format('row %s of %s was changed by %s at %s (now version %s; the edit was based on version %s)',
        key, TG_TABLE_NAME, coalesce(last_who::text, 'someone'),
        coalesce(to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'), 'an unknown time'),
        OLD.row_version, NEW.row_version),
      HINT = 'Reload the row to see the other change, then make yours again.';
  END IF;
  NEW.row_version := OLD.row_version + 1;
  RETURN NEW;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_provenance() RETURNS trigger LANGUAGE plpgsql AS $bc$
BEGIN
  IF current_setting('blockcheck.run', true) = 'on' AND {s}.bc_is_owner(current_user) THEN RETURN NEW; END IF;
  IF TG_OP = 'INSERT' AND coalesce(to_jsonb(NEW) ->> 'provenance', 'generated') = 'generated' THEN
    NEW := jsonb_populate_record(NEW, jsonb_build_object('provenance', 'added'));
  ELSIF TG_OP = 'UPDATE' AND coalesce(to_jsonb(NEW) ->> 'provenance', 'generated') = 'generated' THEN
    NEW := jsonb_populate_record(NEW, jsonb_build_object('provenance', 'edited'));
  END IF;
  RETURN NEW;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_log() RETURNS trigger LANGUAGE plpgsql AS $bc$
BEGIN
  IF current_setting('blockcheck.run', true) = 'on' AND {s}.bc_is_owner(current_user) THEN RETURN NULL; END IF;
  INSERT INTO {s}.{log} (table_name, row_key, op, old_row, new_row) VALUES (TG_TABLE_NAME,
    CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END ->> TG_ARGV[0], TG_OP,
    CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'geometry' END,
    CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'geometry' END);
  RETURN NULL;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_project_history() RETURNS trigger LANGUAGE plpgsql AS $bc$
DECLARE field text; before jsonb; after jsonb;
  why text := coalesce(nullif(current_setting('blockcheck.reason', true), ''), '');
BEGIN
  IF current_setting('blockcheck.run', true) = 'on' AND {s}.bc_is_owner(current_user) THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {s}.{history} (project_id, field, from_value, to_value, reason)
      VALUES (NEW.project_id, 'status', '', NEW.status, coalesce(nullif(why, ''), 'added'));
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {s}.{history} (project_id, field, from_value, to_value, reason)
      VALUES (OLD.project_id, 'status', OLD.status, 'removed', why);
  ELSE
    before := to_jsonb(OLD) - 'fid' - 'row_version' - 'number' - 'provenance' - 'project_id' - 'geometry';
    after := to_jsonb(NEW) - 'fid' - 'row_version' - 'number' - 'provenance' - 'project_id' - 'geometry';
    FOR field IN SELECT jsonb_object_keys(after) LOOP
      IF (before ->> field) IS DISTINCT FROM (after ->> field) THEN
        INSERT INTO {s}.{history} (project_id, field, from_value, to_value, reason)
          VALUES (NEW.project_id, field, coalesce(before ->> field, ''), coalesce(after ->> field, ''), why);
      END IF;
    END LOOP;
  END IF;
  RETURN NULL;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_stamp() RETURNS trigger LANGUAGE plpgsql AS $bc$
BEGIN
  IF {s}.bc_is_owner(current_user) THEN RETURN NEW; END IF;
  IF TG_TABLE_NAME = {log_name} THEN
    NEW.who := current_user; NEW.at := now();
  ELSE
    NEW.changed_by := current_user;
    NEW.changed_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"');
    NEW.history_id := 'H' || lpad(nextval({history_seq}::regclass)::text, 6, '0');
  END IF;
  RETURN NEW;
END $bc$;

CREATE OR REPLACE FUNCTION {s}.bc_append_only() RETURNS trigger LANGUAGE plpgsql AS $bc$
BEGIN
  IF {s}.bc_is_owner(current_user) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING ERRCODE = {append_only},
    MESSAGE = format('%s may not %s entries of %s: it is append-only', current_user, lower(TG_OP), TG_TABLE_NAME),
    HINT = 'History is never rewritten; record a correction as a new change instead.';
END $bc$;
"""


def _create_functions(conn, schema: str) -> None:
    _, sql = psycopg_modules()
    parts = {
        "s": _ident(schema),
        "schema": _lit(schema),
        "version": _lit(SCHEMA_VERSION),
        "metrics": _lit(_regclass_text(conn, schema, "block_metrics")),
        "reviewer": _lit(role_name(schema, "reviewer")),
        "analyst": _lit(role_name(schema, "analyst")),
        "grants": _ident(GRANTS_TABLE),
        "log": _ident(CHANGE_LOG),
        "log_name": _lit(CHANGE_LOG),
        "history": _ident(HISTORY_LAYER),
        "history_seq": _lit(_regclass_text(conn, schema, "project_history_seq")),
        "not_permitted": _lit(SQLSTATE_NOT_PERMITTED),
        "stale": _lit(SQLSTATE_STALE),
        "append_only": _lit(SQLSTATE_APPEND_ONLY),
    }
    conn.execute(sql.SQL(_FUNCTIONS).format(**parts))


def _trigger(conn, schema: str, table: str, name: str, when: str, function: str, *args: str) -> None:
    _, sql = psycopg_modules()
    _q(conn, "DROP TRIGGER IF EXISTS {n} ON {t}", n=_ident(name), t=_ident(schema, table))
    conn.execute(
        sql.SQL("CREATE TRIGGER {} {} ON {} {} EXECUTE FUNCTION {}({})").format(
            _ident(name),
            sql.SQL(when),  # one of this module's own constants
            _ident(schema, table),
            sql.SQL("FOR EACH STATEMENT" if "TRUNCATE" in when else "FOR EACH ROW"),
            _ident(schema, function),
            sql.SQL(", ").join(_lit(a) for a in args),
        )
    )


def _create_triggers(conn, schema: str) -> None:
    for name in EIGHT_LISTS:
        key = list_table(name).key
        block = BLOCK_COLUMN[name] or "bc_no_block"
        _trigger(conn, schema, name, "bc_10_guard", "BEFORE INSERT OR UPDATE OR DELETE", "bc_guard", block, key)
        _trigger(conn, schema, name, "bc_20_version", "BEFORE UPDATE", "bc_version", key)
        if name in provenance_tables():  # an analyst's row: a re-run keeps it
            _trigger(conn, schema, name, "bc_25_provenance", "BEFORE INSERT OR UPDATE", "bc_provenance")
        _trigger(conn, schema, name, "bc_30_log", "AFTER INSERT OR UPDATE OR DELETE", "bc_log", key)
    _trigger(conn, schema, "project_list", "bc_40_history", "AFTER INSERT OR UPDATE OR DELETE", "bc_project_history")
    for table in (CHANGE_LOG, HISTORY_LAYER):
        _trigger(conn, schema, table, "bc_10_stamp", "BEFORE INSERT", "bc_stamp")
        _trigger(conn, schema, table, "bc_20_append_only", "BEFORE UPDATE OR DELETE", "bc_append_only")
        _trigger(conn, schema, table, "bc_30_no_truncate", "BEFORE TRUNCATE", "bc_append_only")


def init_access(conn, schema: str) -> list[str]:
    """Create the group roles, row-level security policies and privileges of the workbook in `schema`.

    Idempotent; the caller commits. Returns the group roles' names.
    """
    ensure_workbook(conn, schema)
    roles = {role: role_name(schema, role) for role in ROLES}
    for name in roles.values():
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
            _q(conn, "CREATE ROLE {r} NOLOGIN", r=_ident(name))
    every = [_ident(name) for name in roles.values()]
    _, sql = psycopg_modules()
    to_all = sql.SQL(", ").join(every)
    _q(conn, "GRANT USAGE ON SCHEMA {s} TO {r}", s=_ident(schema), r=to_all)
    _q(conn, "GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}", s=_ident(schema), r=to_all)
    _q(conn, "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}", s=_ident(schema), r=to_all)
    # the styles QGIS keeps in the database (public.layer_styles, made by the owner's QGIS when it first saves one):
    # everyone reads them, only the owner writes
    _q(conn, "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {r}", r=to_all)
    if conn.execute("SELECT to_regclass('public.layer_styles')").fetchone()[0] is not None:
        _q(conn, "GRANT SELECT ON public.layer_styles TO {r}", r=to_all)
    _q(conn, "REVOKE ALL ON {t} FROM {r}", t=_ident(schema, GRANTS_TABLE), r=to_all)
    writers = sql.SQL(", ").join(_ident(roles[r]) for r in ("analyst", "reviewer"))
    _q(conn, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}", s=_ident(schema), r=writers)
    for table in (CHANGE_LOG, HISTORY_LAYER):
        _q(conn, "GRANT INSERT ON {t} TO {r}", t=_ident(schema, table), r=writers)
    for name in EIGHT_LISTS:
        table = _ident(schema, name)
        analyst = _ident(roles["analyst"])
        _q(conn, "REVOKE UPDATE ON {t} FROM {r}", t=table, r=analyst)
        _q(conn, "GRANT INSERT, DELETE ON {t} TO {r}", t=table, r=analyst)
        computed = {"fid", *COMPUTED_COLUMNS.get(name, ())}
        editable = [c for c in (*list_table(name).columns, "row_version") if c not in computed]
        if list_table(name).geometry != "none":
            editable.append("geometry")
        columns = sql.SQL(", ").join(_ident(c) for c in dict.fromkeys(editable))
        _q(conn, "GRANT UPDATE ({c}) ON {t} TO {r}", c=columns, t=table, r=analyst)
        if name in REVIEWER_COLUMNS:
            columns = sql.SQL(", ").join(_ident(c) for c in REVIEWER_COLUMNS[name])
            _q(conn, "GRANT UPDATE ({c}) ON {t} TO {r}", c=columns, t=table, r=_ident(roles["reviewer"]))
        _q(conn, "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY", t=table)
        block = _ident(BLOCK_COLUMN[name]) if BLOCK_COLUMN[name] else sql.SQL("NULL::text")
        may = sql.SQL("{}(current_user, {}::text)").format(_ident(schema, "bc_may_edit"), block)
        policies = {
            "bc_read": sql.SQL("FOR SELECT USING (true)"),
            "bc_insert": sql.SQL("FOR INSERT WITH CHECK ({})").format(may),
            "bc_update": sql.SQL("FOR UPDATE USING (true) WITH CHECK ({})").format(may),
            "bc_delete": sql.SQL("FOR DELETE USING (true)"),  # the guard trigger refuses other blocks' rows, aloud
        }
        for policy, clause in policies.items():
            _q(conn, "DROP POLICY IF EXISTS {p} ON {t}", p=_ident(policy), t=table)
            conn.execute(sql.SQL("CREATE POLICY {} ON {} {}").format(_ident(policy), table, clause))
    return list(roles.values())


def _require_login(conn, login: str) -> None:
    if not login or conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None:
        msg = (
            f"login {login!r} does not exist on this server. Create it first (as an administrator: "
            f"CREATE ROLE \"{login}\" LOGIN PASSWORD '…';), then grant it a role."
        )
        raise InputError(msg)


def _require_init(conn, schema: str) -> None:
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role_name(schema, "viewer"),)).fetchone() is None:
        msg = f"schema {schema!r} has no roles yet. Run `blockcheck db init URL?schema={schema}` first."
        raise InputError(msg)


def grant(conn, schema: str, login: str, role: str, subdistricts: list[str] | None = None) -> None:
    """Give the existing `login` the `role` of the workbook in `schema` (replacing its earlier role there).

    `subdistricts` limits an analyst to the blocks of those sub-districts (None: every block).

    Raises
    ------
    InputError
        Unknown role, a login that does not exist, sub-districts for another role than analyst, or a schema
        without ``blockcheck db init``.
    """
    if role not in ROLES:
        msg = f"role {role!r} is not one of {', '.join(ROLES)}. Choose one with --role."
        raise InputError(msg)
    if subdistricts and role != "analyst":
        msg = f"--subdistricts applies to analysts only; a {role} works on the whole district. Leave it out."
        raise InputError(msg)
    _require_init(conn, schema)
    _require_login(conn, login)
    revoke(conn, schema, login)
    _q(conn, "GRANT {r} TO {u}", r=_ident(role_name(schema, role)), u=_ident(login))
    _q(
        conn,
        "INSERT INTO {t} (login, role, subdistricts) VALUES ({u}, {r}, {d})",
        t=_ident(schema, GRANTS_TABLE),
        u=_lit(login),
        r=_lit(role),
        d=_lit(list(subdistricts) if subdistricts else None),
    )


def revoke(conn, schema: str, login: str) -> None:
    """Take every role of the workbook in `schema` from `login` (nothing happens when it had none).

    Raises
    ------
    InputError
        The login does not exist, or the schema has no roles (``blockcheck db init`` was not run).
    """
    _require_init(conn, schema)
    _require_login(conn, login)
    for role in ROLES:
        _q(conn, "REVOKE {r} FROM {u}", r=_ident(role_name(schema, role)), u=_ident(login))
    _q(conn, "DELETE FROM {t} WHERE login = {u}", t=_ident(schema, GRANTS_TABLE), u=_lit(login))
