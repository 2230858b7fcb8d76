"""Map furniture: frame and extent, scale bar (metres of the metric CRS), north arrow, credits, legends.

Every artist added here carries a gid (``scale_bar``, ``north_arrow``,
``credits``, ``synthetic_notice``) so tests and users can find what was drawn.
Data made up for a sample or a test is labelled as such: :class:`Credits` of a
synthetic workbook adds a prominent "示例数据（虚构）" / "synthetic sample data"
label to every map (:func:`add_credits`) and page (:func:`add_page_notice`).
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

# isort: split
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredOffsetbox, AuxTransformBox, DrawingArea, TextArea, VPacker
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.text import Text
from pyproj import CRS

from blockcheck import __version__
from blockcheck.crs import lonlat_transformer
from blockcheck.report.settings import settings, text

__all__ = [
    "Credits",
    "add_credits",
    "add_north_arrow",
    "add_page_notice",
    "add_scale_bar",
    "decorate",
    "fit_extent",
    "nice_length",
    "patch_handle",
]


@dataclass(frozen=True)
class Credits:
    """What the credits line of a map says, and whether the data is synthetic (a notice label)."""

    crs: CRS
    source: str
    date: str
    osm: bool = False
    version: str = __version__
    synthetic: bool = False

    @classmethod
    def of(cls, wb) -> Credits:
        """The credits of a workbook."""
        return cls(crs=wb.crs, source=wb.source_name, date=wb.date, osm=wb.osm, synthetic=wb.synthetic)

    def notice(self, lang: str) -> str:
        """The notice (示例数据（虚构） / synthetic sample data) when the data is synthetic, else an empty string."""
        return text(lang, "synthetic_notice") if self.synthetic else ""

    def line(self, lang: str) -> str:
        """One line: CRS, data source, date, maker, and the OSM attribution when due."""
        epsg = self.crs.to_epsg()
        crs = f"EPSG:{epsg} {self.crs.name}" if epsg else self.crs.name
        parts = [
            f"{text(lang, 'crs')} {crs}",
            f"{text(lang, 'source')} {self.source}",
            f"{text(lang, 'date')} {self.date}",
            text(lang, "made_with", version=self.version),
        ]
        if self.osm:
            parts.append(text(lang, "osm"))
        return " · ".join(p for p in parts if p.strip())


def fit_extent(ax, bounds: tuple[float, float, float, float], *, margin: float = 0.04) -> None:
    """Set limits showing `bounds` (minx, miny, maxx, maxy) at equal scale, filling the axes box exactly."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    pos = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    box_ratio = (pos.height * fh) / (pos.width * fw)
    w, h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    if h / w > box_ratio:
        w = h / box_ratio
    else:
        h = w * box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)


def nice_length(width_m: float, *, share: float = 0.25) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not longer than `share` of `width_m`."""
    target = max(width_m * share, 1e-9)
    power = 10 ** math.floor(math.log10(target))
    return max(f * power for f in (1, 2, 5) if f * power <= target)


def add_scale_bar(ax, *, lang: str = "zh", loc: str = "lower left") -> AnchoredOffsetbox:
    """A two-part scale bar in metres (the axes' data units, a metric CRS), anchored to the map frame."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    height = (y1 - y0) * 0.012
    bar = AuxTransformBox(ax.transData)
    for i, colour in enumerate(("black", "white")):
        bar.add_artist(
            Rectangle((i * length / 2, 0), length / 2, height, facecolor=colour, edgecolor="black", linewidth=0.6)
        )
    unit_km = length >= 1000
    for i, at in enumerate((0.0, length / 2, length)):
        value = at / 1000 if unit_km else at
        label = f"{value:g}" + (f" {text(lang, 'scale_unit_km' if unit_km else 'scale_unit_m')}" if i == 2 else "")
        bar.add_artist(Text(at, -height * 0.6, label, ha="center", va="top", fontsize=7))
    box = AnchoredOffsetbox(loc=loc, child=bar, pad=0.45, borderpad=0.7, frameon=True)
    box.patch.set(facecolor="white", alpha=0.8, edgecolor="none")
    box.set_gid("scale_bar")
    box.length_m = length  # for tests and readers
    ax.add_artist(box)
    return box


def true_north_angle(ax, crs: CRS) -> float:
    """Degrees (clockwise from the map's up) of true north at the map centre."""
    x = float(np.mean(ax.get_xlim()))
    y = float(np.mean(ax.get_ylim()))
    try:
        to_ll, from_ll = lonlat_transformer(crs), lonlat_transformer(crs, inverse=True)
        lon, lat = to_ll.transform(x, y)
        x2, y2 = from_ll.transform(lon, lat + 0.01)
    except Exception:  # noqa: BLE001 - a CRS pyproj cannot invert: draw grid north
        return 0.0
    angle = math.degrees(math.atan2(x2 - x, y2 - y))
    return angle if math.isfinite(angle) else 0.0


def add_north_arrow(ax, crs: CRS | None = None, *, lang: str = "zh", loc: str = "upper right") -> AnchoredOffsetbox:
    """A north arrow pointing to true north (grid convergence from the CRS), anchored to the map frame."""
    angle = math.radians(true_north_angle(ax, crs) if crs is not None else 0.0)
    area = DrawingArea(24, 34, 0, 0)
    tip, left, right, notch = (0.0, 13.0), (-6.0, -9.0), (6.0, -9.0), (0.0, -4.0)
    rot = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])

    def place(points: list[tuple[float, float]]) -> np.ndarray:
        return np.asarray(points) @ rot.T + (12.0, 14.0)

    area.add_artist(
        Polygon(place([tip, left, notch]), closed=True, facecolor="black", edgecolor="black", linewidth=0.6)
    )
    area.add_artist(
        Polygon(place([tip, notch, right]), closed=True, facecolor="white", edgecolor="black", linewidth=0.6)
    )
    label = TextArea(text(lang, "north"), textprops={"fontsize": 9, "fontweight": "bold", "ha": "center"})
    box = AnchoredOffsetbox(
        loc=loc,
        child=VPacker(children=[label, area], align="center", pad=0, sep=0),
        pad=0.25,
        borderpad=0.7,
        frameon=True,
    )
    box.patch.set(facecolor="white", alpha=0.8, edgecolor="none")
    box.set_gid("north_arrow")
    ax.add_artist(box)
    return box


def _notice_style() -> dict:
    cfg = settings()["synthetic"]
    return {
        "fontsize": cfg["font_size"],
        "fontweight": "bold",
        "color": cfg["color"],
        "bbox": {"boxstyle": "square,pad=0.35", "facecolor": cfg["background"], "edgecolor": "none"},
    }


def add_credits(ax, credits: Credits, *, lang: str = "zh"):
    """The credits line under the map frame (CRS, data source and date, OSM attribution).

    For synthetic data also the notice label, white on red above the frame's top right corner.
    """
    artist = ax.annotate(
        credits.line(lang), xy=(0, -0.012), xycoords="axes fraction", ha="left", va="top", fontsize=6.5, color="#333333"
    )
    artist.set_gid("credits")
    if credits.synthetic:
        label = ax.annotate(
            credits.notice(lang),
            xy=(1, 1),
            xycoords="axes fraction",
            xytext=(-2, 7),
            textcoords="offset points",
            ha="right",
            va="bottom",
            zorder=20,
            **_notice_style(),
        )
        label.set_gid("synthetic_notice")
    return artist


def add_page_notice(fig, credits: Credits, *, lang: str = "zh", x: float = 0.95, y: float = 0.975):
    """The synthetic-data notice label at the top right of a page (nothing for real data); returns it or None."""
    if not credits.synthetic:
        return None
    return fig.text(x, y, credits.notice(lang), ha="right", va="center", gid="synthetic_notice", **_notice_style())


def decorate(ax, *, title: str | None, credits: Credits | None, lang: str, crs: CRS | None = None) -> None:
    """Title, scale bar, north arrow and credits (call after the extent is set)."""
    if title:  # drawn first (zorder below the map's), so a PDF page's text starts with it
        ax.set_title(title, loc="left", fontweight="bold", pad=8, zorder=-1)
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, crs if crs is not None else (credits.crs if credits else None), lang=lang)
    if credits is not None:
        add_credits(ax, credits, lang=lang)


def patch_handle(
    label: str, *, facecolor: str = "none", edgecolor: str = "none", hatch: str | None = None, linewidth: float = 0.6
) -> Patch:
    """A legend entry for an area style."""
    return Patch(facecolor=facecolor, edgecolor=edgecolor, hatch=hatch, linewidth=linewidth, label=label)


def line_handle(label: str, **style) -> Line2D:
    """A legend entry for a line or marker style."""
    return Line2D([], [], label=label, **style)


def outside_legend(ax, handles: list, *, title: str, y: float = 1.0, add: bool = True):
    """A legend to the right of the map frame; with `add`, kept when another legend follows."""
    legend = ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.02, y),
        borderaxespad=0.0,
        alignment="left",
        handlelength=1.6,
        handleheight=1.0,
    )
    if add:
        ax.add_artist(legend)
    return legend
