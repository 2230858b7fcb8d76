"""Resources and projects on a map: drawn and keyed by the vocabulary's categories and classes.

Resource categories (图2) are coloured by :func:`blockcheck.vocabulary.colours`
(the large 'future' families of ``data/report.toml [resources] background``
underneath); project sites by domain colour and priority class (marker size,
line width) of :func:`blockcheck.vocabulary.priority_classes`. The hearing maps
(:mod:`blockcheck.report.maps`) and the atlas pages share these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.report import cartography as carto
from blockcheck.report.paths import add_lines, add_points, add_polygons, representative_xy
from blockcheck.report.settings import settings
from blockcheck.report.workbook_data import feature_counts

__all__ = ["draw_projects", "draw_resources", "priority_class", "project_handles", "resource_handles"]


def _resource_style(lang: str) -> tuple[dict, dict, list]:
    domain = "resource_category"
    return vocabulary.colours(domain), vocabulary.labels(domain, lang), settings()["resources"]["background"]


def _count_label(label: str, n: int, lang: str) -> str:
    return f"{label}（{n:,}）" if lang == "zh" else f"{label} ({n:,})"


def draw_resources(ax, resources: pd.DataFrame) -> None:
    """Resources coloured by category, the background families (retained land/buildings, underground) first."""
    colors, _, background = _resource_style("zh")
    if not len(resources):
        return
    cats = resources["category"].astype(str).to_numpy()
    geoms = resources.geometry.to_numpy()
    order = [c for c in background if c in colors] + [c for c in colors if c not in background]
    for z, cat in enumerate(order):
        mask = cats == cat
        if mask.any():
            add_polygons(
                ax,
                geoms[mask],
                facecolor=colors[cat],
                edgecolor="#555555",
                linewidth=0.2,
                zorder=3 + z * 0.01,
                gid=f"resource_{cat}",
            )


def resource_handles(resources: pd.DataFrame, *, lang: str, counts: bool = True) -> list:
    """Legend entries of the categories present, in the order of 图2 (with counts of features).

    A row of retained land or buildings (one per block) counts its ``member_count`` features.
    """
    colors, labels, _ = _resource_style(lang)
    present = (
        feature_counts(resources).groupby(resources["category"].astype(str).to_numpy()).sum()
        if len(resources)
        else pd.Series(dtype=int)
    )
    return [
        carto.patch_handle(
            _count_label(labels.get(c, c), int(present[c]), lang) if counts else labels.get(c, c),
            facecolor=colors[c],
            edgecolor="#555555",
        )
        for c in colors
        if c in present.index
    ]


def priority_class(scores: pd.Series) -> np.ndarray:
    """Index into :func:`blockcheck.vocabulary.priority_classes` of each priority score (NaN → the lowest class)."""
    bounds = [c.min for c in vocabulary.priority_classes()]
    s = pd.to_numeric(scores, errors="coerce").fillna(-np.inf).to_numpy()
    return np.select([s >= b for b in bounds[:-1]], list(range(len(bounds) - 1)), default=len(bounds) - 1)


def draw_projects(ax, projects: pd.DataFrame, *, scale: float = 1.0) -> None:
    """Project sites by domain (colour) and priority class (marker size, line width)."""
    if not len(projects):
        return
    domains = projects["domain"].fillna("").astype(str).to_numpy()
    pclass = priority_class(projects["priority_score"])
    geoms = projects.geometry.to_numpy()
    xy = representative_xy(geoms)
    for domain in pd.unique(domains):
        colour = vocabulary.colour("project_domain", domain)
        for i, spec in enumerate(vocabulary.priority_classes()):
            mask = (domains == domain) & (pclass == i)
            if not mask.any():
                continue
            add_polygons(ax, geoms[mask], facecolor=colour, alpha=0.35, edgecolor="none", zorder=4)
            add_lines(ax, geoms[mask], edgecolor=colour, linewidth=spec.width * scale, zorder=4.5)
            add_points(
                ax,
                xy[mask],
                s=spec.size * scale,
                color=colour,
                edgecolors="black",
                linewidths=0.4,
                zorder=6,
                gid=f"project_{domain}_{i}",
            )


def project_handles(projects: pd.DataFrame, *, lang: str, counts: bool = True, scale: float = 1.0) -> tuple[list, list]:
    """Legend entries: the domains present (with counts) and the priority classes present."""
    if not len(projects):
        return [], []
    domains = projects["domain"].fillna("").astype(str)
    pclass = priority_class(projects["priority_score"])
    dom = []
    for domain, n in domains.value_counts(sort=False).items():
        label = vocabulary.label("project_domain", domain, lang)
        dom.append(
            carto.line_handle(
                _count_label(label, int(n), lang) if counts else label,
                marker="o",
                linestyle="none",
                markerfacecolor=vocabulary.colour("project_domain", domain),
                markeredgecolor="black",
                markersize=7,
            )
        )
    pri = [
        carto.line_handle(
            spec.label(lang),
            marker="o",
            linestyle="none",
            markerfacecolor="#bbbbbb",
            markeredgecolor="black",
            markersize=float(np.sqrt(spec.size * scale)),
        )
        for i, spec in enumerate(vocabulary.priority_classes())
        if (pclass == i).any()
    ]
    return dom, pri
