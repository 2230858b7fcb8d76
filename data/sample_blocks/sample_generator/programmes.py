"""What each cell becomes: residential compounds with slices and corner plots, or a whole-cell use.

`do_cell` turns one cell (programme chosen by `layout.allocate`) into parcels,
buildings, facilities, green spaces and parking. Each parcel carries a FAR rule
that `parcels.permitted_far` evaluates once the buildings are known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from .assumptions import (
    CHC_BEDS,
    CORNER_PLOT_MAX_SHARE,
    CORNER_PLOT_SIDE_M,
    ELDERLY_HOME_BEDS,
    FAR_HEADROOM,
    FAR_SCALE,
    GRID_ROADS_EW,
    HOSPITAL_BEDS,
    HOSPITAL_PARKING_SPACES,
    IDLE_CORNER_FAR,
    IDLE_CORNER_USE_SHARES,
    INDUSTRIAL_IDLE_PROB,
    LOT_M2_PER_SPACE,
    MIN_PERMITTED_FAR,
    OFFICE_GARAGE_SPACES,
    PARK_RETAINED_PROB,
    PARK_SPORTS_LAND_M2,
    PLANNED_USES,
    PROTECTIVE_STRIP_WIDTH_M,
    SETBACK_M,
    SLICE_MAX_SHARE,
    SLICE_MIN_WIDTH_M,
    SLICE_PROGRAMMES,
    SLICE_RETAINED_PROB,
    TERMINAL_LOT_M2_PER_SPACE,
)
from .buildings import frame, residential, shelf

if TYPE_CHECKING:
    from .district import District


def do_cell(d: District, idx: int) -> None:
    """Parcels, buildings and features of cell `idx`."""
    cell = d.cells[idx]
    rng = d.rng
    x0, y0, x1, y1 = cell["red"]
    setbacks = {key: SETBACK_M[kind] for key, kind in cell["sides"].items()}

    if cell["south_edge"]:  # protective green along the southern arterial
        width = PROTECTIVE_STRIP_WIDTH_M
        strip = shapely.box(x0, y0, x1, y0 + width)
        d.add_parcel(cell, strip, "G2", "built", "protective", ("fixed", 0.0))
        d.add_green(
            cell,
            shapely.box(x0 + 1, y0 + 1, x1 - 1, y0 + (width - 1.0)),
            "protective",
            f"{GRID_ROADS_EW[0][2]}防护绿地",
            d.quality("protective"),
        )
        y0 += width
        setbacks["B"] = SETBACK_M["parcel"]

    programme = cell["prog"]
    if programme != "residential":
        WHOLE_CELL[programme](d, cell, (x0, y0, x1, y1), setbacks)
        return

    main = [x0, y0, x1, y1]
    free_corners = [("B", "L"), ("B", "R"), ("T", "L"), ("T", "R")]
    if cell["south_edge"]:
        free_corners = [corner for corner in free_corners if corner[0] == "T"]
    if cell["slice"]:
        _slice(d, cell, main, setbacks, free_corners)
    keepouts = []
    for kind in cell["corners"]:
        if not free_corners:
            break
        corner = free_corners.pop(int(rng.integers(len(free_corners))))
        keepouts.append(corner_plot(d, cell, tuple(main), kind, corner))
    geom = shapely.box(*main)
    for box in keepouts:
        geom = geom.difference(shapely.box(*box))
    inner = d.inner(main, setbacks)
    keep = [(a - 5.0, b - 5.0, c + 5.0, d_ + 5.0) for a, b, c, d_ in keepouts]
    residential(d, cell, geom, main, inner, keep)


# ------------------------------------------------------------ parts of residential cells


def _slice(d: District, cell: dict, main: list, setbacks: dict, free_corners: list) -> None:
    """Cut a school / health / elderly parcel off one side of a residential cell."""
    rng = d.rng
    programme = cell["slice"]
    _name, _count, land_use, (area_lo, area_hi) = next(item for item in SLICE_PROGRAMMES if item[0] == programme)
    x0, y0, x1, y1 = main
    height = y1 - y0
    width = float(np.clip(rng.uniform(area_lo, area_hi) / height, SLICE_MIN_WIDTH_M, SLICE_MAX_SHARE * (x1 - x0)))
    side = "L" if rng.random() < 0.5 else "R"
    if side == "L":
        rect = (x0, y0, x0 + width, y1)
        main[0] = x0 + width
    else:
        rect = (x1 - width, y0, x1, y1)
        main[2] = x1 - width
    free_corners[:] = [corner for corner in free_corners if corner[1] != side]
    sub_setbacks = dict(setbacks)
    sub_setbacks["R" if side == "L" else "L"] = SETBACK_M["parcel"]
    setbacks[side] = SETBACK_M["parcel"]
    status = "retained" if rng.random() < SLICE_RETAINED_PROB else "built"
    base = d.base_name(cell["_b"])
    geom = shapely.box(*rect)
    inner = d.inner(rect, sub_setbacks)
    ix0, iy0, ix1, iy1 = inner
    if programme.endswith("school"):
        parcel = d.add_parcel(cell, geom, land_use, status, programme, ("plus", *FAR_HEADROOM["school"]))
        floors = 4 if programme == "primary_school" else 5
        rects = shelf(inner, [(min(72.0, ix1 - ix0), 16.0), (40.0, 28.0)])
        d.add_buildings(cell, parcel, frame(rects, use="education", floors=[floors, 2][: len(rects)], era="school"))
        label = "小学" if programme == "primary_school" else "中学"
        d.add_facility(cell, geom, programme, f"{base}{label}")
    elif programme == "health_centre":
        parcel = d.add_parcel(cell, geom, land_use, status, programme, ("plus", *FAR_HEADROOM["health_centre"]))
        rects = shelf(inner, [(45.0, 18.0)])
        d.add_buildings(cell, parcel, frame(rects, use="health", floors=3, era="public"))
        area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects) * 3
        d.add_facility(
            cell,
            shapely.centroid(shapely.box(*rects[0])),
            "community_health_center",
            f"{base}社区卫生服务中心",
            beds=float(rng.integers(*CHC_BEDS)),
            floor_area_m2=round(area),
        )
    else:  # elderly home
        parcel = d.add_parcel(cell, geom, land_use, status, programme, ("plus", *FAR_HEADROOM["elderly_home"]))
        rects = shelf(inner, [(50.0, 16.0)])
        d.add_buildings(cell, parcel, frame(rects, use="public_service", floors=int(rng.integers(4, 6)), era="public"))
        d.add_facility(
            cell,
            shapely.centroid(shapely.box(*rects[0])),
            "elderly_care",
            f"{base}养老照料中心",
            beds=float(rng.integers(*ELDERLY_HOME_BEDS)),
        )


def corner_plot(d: District, cell: dict, rect, kind: str, corner) -> tuple:
    """A small plot at a street corner of `rect`; returns its box."""
    rng = d.rng
    x0, y0, x1, y1 = rect
    w = min(rng.uniform(*CORNER_PLOT_SIDE_M), CORNER_PLOT_MAX_SHARE * (x1 - x0))
    h = min(rng.uniform(*CORNER_PLOT_SIDE_M), CORNER_PLOT_MAX_SHARE * (y1 - y0))
    bx0, bx1 = (x0, x0 + w) if corner[1] == "L" else (x1 - w, x1)
    by0, by1 = (y0, y0 + h) if corner[0] == "B" else (y1 - h, y1)
    box = (bx0, by0, bx1, by1)
    geom = shapely.box(*box)
    base = d.base_name(cell["_b"])
    if kind in ("idle", "vacant"):
        use = str(rng.choice(tuple(IDLE_CORNER_USE_SHARES), p=tuple(IDLE_CORNER_USE_SHARES.values())))
        d.add_parcel(cell, geom, use, kind, f"corner_{kind}", ("range", *IDLE_CORNER_FAR))
    elif kind == "pocket_park":
        d.add_parcel(cell, geom, "G1", "built", "pocket_park", ("fixed", 0.0))
        d.add_green(
            cell, shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2), "park", f"{base}口袋公园", d.quality("pocket_park")
        )
    elif kind == "plaza":
        d.add_parcel(cell, geom, "G3", "built", "plaza", ("fixed", 0.0))
        d.add_green(
            cell, shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2), "plaza", f"{base}街角广场", d.quality("plaza")
        )
    else:  # public parking lot
        d.add_parcel(cell, geom, "S4", "built", "parking", ("fixed", 0.0))
        lot = shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2)
        d.add_parking(cell["_b"], lot, f"{base}公共停车场", lot.area / LOT_M2_PER_SPACE, "public")
    return box


# ------------------------------------------------------------ whole-cell programmes


def _park(d: District, cell, rect, setbacks):
    base = d.base_name(cell["_b"])
    d.add_parcel(
        cell,
        shapely.box(*rect),
        "G1",
        "retained" if d.rng.random() < PARK_RETAINED_PROB else "built",
        "park",
        ("fixed", 0.0),
    )
    x0, y0, x1, y1 = rect
    park = shapely.box(x0 + 2, y0 + 2, x1 - 2, y1 - 2)
    d.add_green(cell, park, "park", f"{base}公园", d.quality("park"))
    c = park.centroid
    d.add_facility(
        cell,
        shapely.Point(c.x - 30, c.y),
        "sports",
        f"{base}公园健身场地",
        land_area_m2=float(d.rng.integers(*PARK_SPORTS_LAND_M2)),
    )
    d.add_facility(cell, shapely.Point(c.x + 30, c.y + 20), "public_toilet", f"{base}公园公厕")


def _commercial(d: District, cell, rect, setbacks):
    rng = d.rng
    base = d.base_name(cell["_b"])
    plaza = corner_plot(d, cell, rect, "plaza", ("T", "L"))  # street-corner plaza
    geom = shapely.box(*rect).difference(shapely.box(*plaza))
    parcel = d.add_parcel(cell, geom, "B1", "built", "commercial", ("scale", *FAR_SCALE["commercial"]))
    ax0, ay0, ax1, ay1 = d.inner(rect, setbacks)
    lot = shapely.box(ax0, ay0, ax1, ay0 + 35.0)
    d.add_parking(cell["_b"], lot, f"{base}商业中心停车场", lot.area / LOT_M2_PER_SPACE, "public")
    rects = shelf((ax0 + 75.0, ay0 + 50.0, ax1, ay1 - 75.0), [(120.0, 65.0), (45.0, 22.0), (45.0, 22.0), (45.0, 22.0)])
    floors = [int(rng.integers(3, 6))] + [2] * (len(rects) - 1)
    d.add_buildings(cell, parcel, frame(rects, use="commercial", floors=floors, era="commercial"))
    c = shapely.box(*rects[0]).centroid
    d.add_facility(cell, c, "supermarket", f"{base}购物中心超市")
    d.add_facility(cell, shapely.Point(c.x + 40, c.y - 45), "market", f"{base}便民菜市场")


def _office(d: District, cell, rect, setbacks):
    rng = d.rng
    base = d.base_name(cell["_b"])
    parcel = d.add_parcel(cell, shapely.box(*rect), "B2", "built", "office", ("scale", *FAR_SCALE["office"]))
    inner = d.inner(rect, setbacks)
    rects = shelf(inner, [(45.0, 22.0)] * 4 + [(60.0, 30.0)], gap=35.0)
    d.add_buildings(cell, parcel, frame(rects, use="office", floors=rng.integers(8, 21, len(rects)), era="office"))
    c = shapely.box(*rects[0]).centroid
    d.add_parking(
        cell["_b"],
        shapely.Point(c.x, c.y - 20),
        f"{base}商务楼地下车库",
        rng.integers(*OFFICE_GARAGE_SPACES),
        "private",
    )


def _industrial(d: District, cell, rect, setbacks):
    rng = d.rng
    idle = rng.random() < INDUSTRIAL_IDLE_PROB
    parcel = d.add_parcel(
        cell, shapely.box(*rect), "M", "built", "industrial", ("fixed_permitted", MIN_PERMITTED_FAR["industrial"])
    )
    inner = d.inner(rect, setbacks)
    rects = shelf(inner, [(40.0, 15.0)] + [(70.0, 35.0)] * 5, gap=20.0)
    uses = ["office"] + [str(u) for u in rng.choice(("industrial", "warehouse"), len(rects) - 1, p=(0.7, 0.3))]
    floors = [3] + [int(f) for f in rng.integers(1, 3, len(rects) - 1)]
    works = frame(rects, use=uses, floors=floors, era="industrial")
    works["status_hint"] = "idle" if idle else ""
    d.add_buildings(cell, parcel, works)


def _hospital(d: District, cell, rect, setbacks):
    base = d.base_name(cell["_b"])
    n = sum(1 for f in d.facilities if f["category"] == "hospital")
    parcel = d.add_parcel(cell, shapely.box(*rect), "A5", "retained", "hospital", ("plus", *FAR_HEADROOM["hospital"]))
    rects = shelf(d.inner(rect, setbacks), [(90.0, 45.0), (60.0, 30.0), (40.0, 20.0), (30.0, 18.0)], gap=25.0)
    d.add_buildings(cell, parcel, frame(rects, use="health", floors=[11, 4, 3, 2][: len(rects)], era="public"))
    d.add_facility(
        cell, shapely.box(*rect), "hospital", f"{base}医院", beds=float(HOSPITAL_BEDS[n % len(HOSPITAL_BEDS)])
    )
    c = shapely.box(*rects[0]).centroid
    d.add_parking(
        cell["_b"],
        shapely.Point(c.x, c.y - 40),
        f"{base}医院停车场",
        d.rng.integers(*HOSPITAL_PARKING_SPACES),
        "private",
    )


def _utility(d: District, cell, rect, setbacks):
    base = d.base_name(cell["_b"])
    n = sum(1 for f in d.facilities if f["category"] == "substation")
    parcel = d.add_parcel(
        cell, shapely.box(*rect), "U", "built", "utility", ("fixed_permitted", MIN_PERMITTED_FAR["utility"])
    )
    ax0, ay0, ax1, ay1 = d.inner(rect, setbacks)
    mid = (ax0 + ax1) / 2
    yard = (ax0, ay0 + (ay1 - ay0) * 0.4, mid - 10, ay1)
    d.add_facility(cell, shapely.box(*yard), "substation", f"{base}110kV变电站")
    rects = [(yard[0] + 10, yard[3] - 35, yard[0] + 50, yard[3] - 10), (mid + 10, ay1 - 40, mid + 60, ay1 - 10)]
    d.add_buildings(cell, parcel, frame(rects, use="municipal", floors=[2, 2], era="public"))
    second = ("heating_station", "gas_station", "telecom")[n % 3]
    label = {"heating_station": "供热站", "gas_station": "燃气调压站", "telecom": "电信机房"}[second]
    d.add_facility(cell, shapely.box(*rects[1]).centroid, second, f"{base}{label}")
    d.add_facility(cell, shapely.Point(mid + 35, ay0 + 30), "garbage_station", f"{base}垃圾分类收集站")
    if n == 0:
        d.add_facility(cell, shapely.Point(mid + 80, ay0 + 60), "fire_station", f"{base}消防站")
        d.add_facility(cell, shapely.Point(mid + 80, ay0 + 100), "cable_tv", f"{base}有线电视基站")


def _transport(d: District, cell, rect, setbacks):
    base = d.base_name(cell["_b"])
    parcel = d.add_parcel(
        cell, shapely.box(*rect), "S4", "built", "transport", ("fixed_permitted", MIN_PERMITTED_FAR["transport"])
    )
    ax0, ay0, ax1, ay1 = d.inner(rect, setbacks)
    split = ax0 + 0.6 * (ax1 - ax0)
    yard = shapely.box(ax0, ay0, split - 5, ay1)
    d.add_facility(cell, yard, "bus_terminal", f"{base}公交首末站", land_area_m2=round(yard.area))
    lot = shapely.box(split + 5, ay0, ax1, ay1)
    d.add_parking(cell["_b"], lot, f"{base}公共停车场", lot.area / TERMINAL_LOT_M2_PER_SPACE, "public")
    d.add_buildings(
        cell, parcel, frame([(ax0 + 5, ay1 - 17, ax0 + 30, ay1 - 5)], use="municipal", floors=2, era="public")
    )


def _culture_sports(d: District, cell, rect, setbacks):
    base = d.base_name(cell["_b"])
    x0, y0, x1, y1 = rect
    mid = (x0 + x1) / 2
    left, right = (x0, y0, mid, y1), (mid, y0, x1, y1)
    sb_left, sb_right = dict(setbacks, R=SETBACK_M["parcel"]), dict(setbacks, L=SETBACK_M["parcel"])
    p1 = d.add_parcel(cell, shapely.box(*left), "A2", "built", "culture", ("plus", *FAR_HEADROOM["culture"]))
    rects = shelf(d.inner(left, sb_left), [(80.0, 50.0)])
    d.add_buildings(cell, p1, frame(rects, use="culture", floors=3, era="public"))
    d.add_facility(
        cell, shapely.box(*rects[0]).centroid, "culture", f"{base}文化活动中心", floor_area_m2=80.0 * 50.0 * 3
    )
    p2 = d.add_parcel(cell, shapely.box(*right), "A4", "built", "sports", ("plus", *FAR_HEADROOM["sports"]))
    inner = d.inner(right, sb_right)
    ground = shapely.box(*inner)
    d.add_facility(cell, ground, "sports", f"{base}全民健身中心", land_area_m2=round(ground.area))
    rects = shelf(inner, [(60.0, 40.0)])
    d.add_buildings(cell, p2, frame(rects, use="sports", floors=2, era="public"))


def _planned(d: District, cell, rect, setbacks):
    rng = d.rng
    n = sum(1 for p in d.parcels if p["_prog"] == "planned")
    use = PLANNED_USES[n % len(PLANNED_USES)]
    parcel = d.add_parcel(cell, shapely.box(*rect), use, "planned", "planned", ("planned", use))
    kind = ("village", "factory", "vacant")[n % 3]
    ax0, ay0, ax1, ay1 = d.inner(rect, setbacks)
    if kind == "village":  # low-rise village houses awaiting resettlement
        xs = np.arange(ax0, ax1 - 20.0, 34.0)
        ys = np.arange((ay0 + ay1) / 2, ay1 - 12.0, 24.0)  # northern half; the rest is fields and yards
        gx, gy = np.meshgrid(xs, ys)
        s0, t0 = gx.ravel(), gy.ravel()
        keep = rng.random(s0.size) < 0.75
        houses = frame(
            np.column_stack([s0, t0, s0 + 20.0, t0 + 12.0])[keep],
            use="residential",
            floors=rng.integers(1, 3, int(keep.sum())),
            era="village",
        )
        houses["kind"] = "village"
    elif kind == "factory":  # old factory, idle
        houses = frame(
            shelf((ax0, ay0, ax1, ay1), [(60.0, 30.0)] * 4, gap=25.0), use="industrial", floors=1, era="industrial"
        )
        houses["status_hint"] = "idle"
    else:
        houses = frame([])
    d.add_buildings(cell, parcel, houses)


def _pending(d: District, cell, rect, setbacks):
    n = sum(1 for p in d.parcels if p["_prog"] == "pending")
    parcel = d.add_parcel(cell, shapely.box(*rect), "X", "retained", "pending", ("none",))
    if n:
        sheds = frame(
            shelf(d.inner(rect, setbacks), [(50.0, 25.0)] * 3, gap=25.0), use="warehouse", floors=1, era="industrial"
        )
        sheds["status_hint"] = "idle"
        d.add_buildings(cell, parcel, sheds)


#: Whole-cell programme → function(district, cell, rect, setbacks).
WHOLE_CELL = {
    "park": _park,
    "commercial": _commercial,
    "office": _office,
    "industrial": _industrial,
    "hospital": _hospital,
    "utility": _utility,
    "transport": _transport,
    "culture_sports": _culture_sports,
    "planned": _planned,
    "pending": _pending,
}
