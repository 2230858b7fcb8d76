"""The district while it is generated: random generator, block transforms and feature lists.

Features are collected in block-local metres (``_b`` is the block index, -1 for
district metres) and converted to EPSG:4548 when the layers are made.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .assumptions import EPSG, GREEN_QUALITY_SHARES
from .layout import anchor_offset


class District:
    """Holds the random generator and the features while they are generated."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.offset = anchor_offset()
        self.blocks: list[dict] = []
        self.communities: list[dict] = []
        self.cells: list[dict] = []
        self.parcels: list[dict] = []
        self.green: list[dict] = []
        self.facilities: list[dict] = []
        self.parking: list[dict] = []
        self.raw_roads: list[dict] = []
        self.building_frames: list[pd.DataFrame] = []
        self.transforms: list = []
        # set by layout.make_grid: grid vertices, branch-road positions and widths
        self.vertices: np.ndarray | None = None
        self.col_s: list[np.ndarray] = []
        self.row_t: list[np.ndarray] = []
        self.col_bw: list[np.ndarray] = []
        self.row_bw: list[np.ndarray] = []

    # -- adding features ------------------------------------------------------

    def add_parcel(self, cell: dict, geom, land_use: str, status: str, programme: str, far_rule) -> int:
        self.parcels.append(
            {
                "_b": cell["_b"],
                "_comm": cell["comm"],
                "_cell": cell["idx"],
                "_geom": geom,
                "land_use": land_use,
                "status": status,
                "_prog": programme,
                "_far": far_rule,
            }
        )
        return len(self.parcels) - 1

    def add_buildings(self, cell: dict, parcel: int, frame: pd.DataFrame) -> None:
        if len(frame):
            frame = frame.assign(_b=cell["_b"], _comm=cell["comm"], _parcel=parcel)
            self.building_frames.append(frame)

    def add_facility(self, cell_or_b, geom, category: str, name: str, **capacity) -> None:
        b = cell_or_b["_b"] if isinstance(cell_or_b, dict) else cell_or_b
        self.facilities.append({"_b": b, "_geom": geom, "name": name, "category": category, **capacity})

    def add_green(self, cell: dict, geom, kind: str, name: str, quality: str) -> None:
        self.green.append({"_b": cell["_b"], "_geom": geom, "name": name, "kind": kind, "quality": quality})

    def add_parking(self, b: int, geom, name: str, spaces: int, access: str) -> None:
        self.parking.append({"_b": b, "_geom": geom, "name": name, "spaces": int(spaces), "access": access})

    def add_road(self, b: int, start, end, name: str, klass: str, width: float, group: str) -> None:
        pts = np.array([start, end], dtype=float)
        if b >= 0:
            pts = self.transforms[b](pts)
        self.raw_roads.append({"coords": pts, "name": name, "class": klass, "width_m": float(width), "_group": group})

    # -- helpers ----------------------------------------------------------------

    @staticmethod
    def inner(rect, setbacks) -> tuple[float, float, float, float]:
        """`rect` (x0, y0, x1, y1) shrunk by the setbacks {"L", "B", "R", "T"}."""
        x0, y0, x1, y1 = rect
        return (x0 + setbacks["L"], y0 + setbacks["B"], x1 - setbacks["R"], y1 - setbacks["T"])

    def quality(self, kind: str) -> str:
        """Random quality of a green space of `kind` (see GREEN_QUALITY_SHARES)."""
        return str(self.rng.choice(("good", "fair", "poor"), p=GREEN_QUALITY_SHARES[kind]))

    def base_name(self, b: int) -> str:
        """Base name of block `b` (for feature names)."""
        return self.blocks[b]["base"]

    def to_crs(self, geoms: np.ndarray, blocks: np.ndarray) -> np.ndarray:
        """Block-local → district metres (per block) → EPSG:4548, rounded to 1 cm."""
        out = np.empty(len(geoms), dtype=object)
        for b in np.unique(blocks):
            mask = blocks == b
            part = np.asarray(geoms[mask], dtype=object)
            out[mask] = shapely.transform(part, self.transforms[b]) if b >= 0 else part
        out = shapely.transform(out, lambda c: c + self.offset)
        return shapely.set_precision(out, 0.01)

    def layer(
        self, rows: pd.DataFrame | list, columns: list[str], prefix: str | None = None, id_field: str | None = None
    ) -> gpd.GeoDataFrame:
        """A GeoDataFrame in EPSG:4548 with `columns` (missing ones empty), numbered ids if `prefix`."""
        frame = pd.DataFrame(rows).reset_index(drop=True)
        geoms = self.to_crs(frame["_geom"].to_numpy(), frame["_b"].to_numpy().astype(int))
        if prefix is not None:
            frame[id_field] = [f"{prefix}{n + 1:05d}" for n in range(len(frame))]
        for column in columns:
            if column not in frame:
                frame[column] = np.nan
        return gpd.GeoDataFrame(frame[columns], geometry=geoms, crs=EPSG)
