"""The notes the walking network adds to the validation report: grade-separated crossings, fragments, entries.

Information only, never errors: where the walk does not join two roads that
cross at different grades (:mod:`blockcheck.network.grade`), the network's
isolated pieces (:mod:`blockcheck.network.fragments`) and where the walking
metrics enter parks and polygon facilities (:mod:`blockcheck.network.entries`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from blockcheck.inputs.report import INFO, ValidationReport
from blockcheck.network.grade import crossings_without_shared_vertex

__all__ = ["report_entries", "report_fragments", "report_grade_crossings"]


#: Crossings named in the grade-separation note.
_CROSSINGS_SHOWN = 5


def report_grade_crossings(roads: gpd.GeoDataFrame, report: ValidationReport) -> None:
    """Information: roads of different grades that cross without a shared vertex (not junctions of the walk).

    The rule is :mod:`blockcheck.network.grade`: a bridge or tunnel, or a way on
    another ``layer``, meets the ways it crosses only where they share a vertex.
    Reported as information (count and the first locations), never as an error.
    """
    points, pairs = crossings_without_shared_vertex(roads)
    if not len(points):
        return
    xy = shapely.get_coordinates(points[:_CROSSINGS_SHOWN])
    shown = "; ".join(f"({x:.1f}, {y:.1f}) {pair}" for (x, y), pair in zip(xy, pairs[:_CROSSINGS_SHOWN], strict=True))
    report.add(
        INFO,
        "grade_separated_crossings",
        "roads",
        f"{len(points)} crossing(s) between roads of different grade (bridge, tunnel or layer) without a shared vertex "
        f"are not junctions of the walking network, e.g. at {shown} (x, y in {roads.crs.to_string()}).",
        fix=(
            "Nothing to do where one passes over the other. Where the ways really meet, give both a vertex at the "
            "crossing (QGIS: Vector ▸ Geometry Tools ▸ Add vertices / snapping), or correct bridge, tunnel, layer."
        ),
        field="bridge",
        ids=sorted({i for pair in pairs for i in pair.split(" / ")}),
    )


#: Fragments named in the fragment note.
_FRAGMENTS_SHOWN = 5


def report_fragments(report: ValidationReport, fragments: pd.DataFrame, crs: CRS | None) -> None:
    """Information: the walking network's fragments and the residents and facilities they would have caught.

    The rule is :mod:`blockcheck.network.fragments`: a connected piece of the
    walking network shorter than ``network.fragment_max_length_m`` (other than
    the longest) is a fragment; no point is attached to it. Reported as
    information (count, total length, residents and facilities attached to the
    connected network instead, the longest fragments' locations), never as an
    error; nothing when there is no fragment.

    Parameters
    ----------
    report
        The report the note is added to.
    fragments
        :func:`blockcheck.network.fragment_table` of the run's network.
    crs
        CRS of the locations (the network's).
    """
    if not len(fragments):
        return
    head = fragments.head(_FRAGMENTS_SHOWN)
    shown = "; ".join(
        f"({x:.1f}, {y:.1f}) {m:,.0f} m" for x, y, m in zip(head["x"], head["y"], head["length_m"], strict=True)
    )
    where = f" in {crs.to_string()}" if crs is not None else ""
    report.add(
        INFO,
        "walk_network_fragments",
        "roads",
        f"{len(fragments)} isolated piece(s) of the walking network, {fragments['length_m'].sum():,.0f} m in all, "
        "are not connected to the rest (only over roads not walked, planned roads or at another grade) and are "
        f"fragments: {int(fragments['residents'].sum())} resident point(s) "
        f"({fragments['population'].sum():,.0f} persons) and {int(fragments['facilities'].sum())} facility(ies) "
        "nearest to them are measured from the nearest connected road instead. The longest: "
        f"{shown} (x, y{where}).",
        fix=(
            "Where a fragment is really reached on foot, connect it: add the missing footway, crossing or link "
            "(with a vertex shared at the junction), or correct its status, bridge, tunnel or layer. The size "
            "below which a piece is a fragment is the parameter network.fragment_max_length_m."
        ),
    )


_ENTRY_LAYERS = {"facilities": "polygon facilities (of the categories measured by walking)", "green": "parks"}


def report_entries(report: ValidationReport, entries: pd.DataFrame, rule: object) -> None:
    """Information: where the walking metrics enter the parks and polygon facilities (one note per layer).

    The rule is :mod:`blockcheck.network.entries`: a polygon is entered at its
    gates (the ``entrances`` layer) where it has any, otherwise along the
    stretches of its outline that front a walkable edge, and along its whole
    outline when none does. The note counts the polygons entered each way and
    lists those entered along their whole outline (their walk includes the
    straight line from the nearest edge to the outline). Nothing when there is
    no such polygon.

    Parameters
    ----------
    report
        The report the notes are added to.
    entries
        :attr:`blockcheck.steps.health_check.HealthCheck.entries` (columns
        ``layer``, ``id``, ``category``, ``entered``, ``entries``, ``gates``).
    rule
        The :class:`blockcheck.network.EntryRule` used (for the thresholds in the message).
    """
    for layer, what in _ENTRY_LAYERS.items():
        rows = entries[entries["layer"] == layer]
        if not len(rows):
            continue
        count = rows["entered"].value_counts()
        outline = rows.loc[rows["entered"] == "outline", "id"]
        gates = int(rows["gates"].sum())
        report.add(
            INFO,
            "walk_entries",
            layer,
            f"Walking distances enter {len(rows)} {what} where people enter them: {count.get('gate', 0)} at "
            "their gates"
            + (f" ({gates} gate(s) of the entrances layer within {rule.gate_max_m:g} m of an outline)" if gates else "")
            + f", {count.get('frontage', 0)} along the stretches of their outline that front a walkable edge "
            f"(within {rule.frontage_max_m:g} m; access points at most {rule.spacing_m:g} m apart) and "
            f"{count.get('outline', 0)} along their whole outline"
            + (
                ", which fronts no walkable edge (listed: their walk includes the straight line from the nearest "
                "road to the outline)."
                if len(outline)
                else "."
            ),
            ids=outline,
            fix=(
                "Where the gates of a site are known, add them to the entrances layer (points on its outline); where "
                "a site is entered along its whole outline, check for a missing road or footway to it. The "
                "thresholds are the parameters network.entry_gate_max_m, network.entry_frontage_max_m and "
                "network.entry_spacing_m."
            ),
        )
