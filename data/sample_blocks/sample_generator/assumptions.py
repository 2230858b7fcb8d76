"""The numbers the sample district is generated from (see ../README.md, "Assumptions").

Units are in the names: ``_M`` metres, ``_M2`` square metres, ``_PER_HOUSEHOLD`` /
``_PER_WORKER`` ratios; ``_SHARE`` and ``_PROB`` are fractions 0–1. Ranges are
``(low, high)`` tuples handed to the random generator as they are (``integers``
excludes ``high``). Changing any number changes the committed sample files.
"""

from __future__ import annotations

from dataclasses import dataclass

SEED = 20201103
EPSG = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
#: District centre (lon, lat; WGS 84 ≈ CGCS2000), between Huilongguan and Tiantongyuan.
CENTRE_LONLAT = (116.375, 40.078)

# ------------------------------------------------------------ grid, blocks, communities

COL_WIDTHS_M = (1000.0, 750.0, 900.0, 1100.0)  # block columns, west → east
ROW_HEIGHTS_M = (700.0, 950.0, 800.0, 900.0)  # block rows, south → north
JITTER_SD_M, JITTER_MAX_M = 15.0, 30.0  # grid-vertex jitter
NS_BRANCHES = (2, 2, 2, 3)  # north–south branch roads per block, by block column
EW_BRANCHES = (2, 2, 2, 2)  # east–west branch roads per block, by block row
BRANCH_POSITION_JITTER_SHARE = 0.03  # of the block width / height, around even spacing
#: Cells (column p, row q) forming each community, by block column: 2–3 communities a
#: block, 3–5 cells each (some L-shaped), so that communities are of similar size.
COMMUNITY_PARTS = (
    (((0, 0), (0, 1), (0, 2)), ((1, 0), (1, 1), (1, 2)), ((2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 0)), ((1, 1), (1, 2), (2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 2)), ((1, 0), (1, 1), (2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 0)), ((1, 1), (1, 2), (2, 1), (2, 2)), ((2, 0), (3, 0), (3, 1), (3, 2))),
)
COMMUNITY_SUFFIXES = {2: ("西区", "东区"), 3: ("西区", "中区", "东区")}
#: Sub-districts: name, block-code prefix, block columns, block rows, base names of the 4 blocks
#: (numbered 01 02 / 03 04 from the north-west corner).
QUADRANTS = (
    ("回龙观街道", "CP02-01", (0, 1), (0, 1), ("回龙观", "龙华园", "新龙城", "北店嘉园")),
    ("龙泽园街道", "CP02-02", (0, 1), (2, 3), ("龙泽苑", "龙锦苑", "风雅园", "慧华苑")),
    ("霍营街道", "CP03-01", (2, 3), (0, 1), ("华龙苑", "蓝天园", "和谐家园", "霍营")),
    ("天通苑北街道", "CP03-02", (2, 3), (2, 3), ("天通北苑", "天通东苑", "太平家园", "佳运园")),
)

# ------------------------------------------------------------ roads

#: Grid roads on the block edges: (class, right-of-way width in m, name).
GRID_ROADS_NS = (  # north–south roads, west → east
    ("arterial", 50.0, "同成街"),
    ("secondary", 36.0, "文华西路"),
    ("arterial", 50.0, "育知东路"),
    ("secondary", 36.0, "龙锦东路"),
    ("arterial", 60.0, "立汤路"),
)
GRID_ROADS_EW = (  # east–west roads, south → north
    ("arterial", 60.0, "回南路"),
    ("secondary", 36.0, "龙锦三街"),
    ("arterial", 50.0, "回龙观东大街"),
    ("secondary", 36.0, "霍营北街"),
    ("arterial", 50.0, "太平庄北街"),
)
BRANCH_WIDTHS_M = (15.0, 18.0, 20.0)
INTERNAL_ROAD_WIDTH_M = 7.0
#: Building setback from the red line by road class, and from a neighbouring parcel.
SETBACK_M = {"arterial": 15.0, "secondary": 10.0, "branch": 6.0, "parcel": 5.0}
TARGET_ROAD_IMPLEMENTATION = 0.811  # Huitian "道路实施率81.1%"
#: Grid segments (group ids: V<line>-<block row>, H<line>-<block column>) that are not built.
UNBUILT_GRID_SEGMENTS = {"V3-3": "planned", "H3-0": "under_construction"}  # north end of a secondary road; …
UNDER_CONSTRUCTION_EVERY = 6  # of the branch roads made unbuilt, every sixth is under construction

# ------------------------------------------------------------ land (图2)

#: Whole-cell programmes (non-residential cells) and how many of each.
FULL_PROGRAMMES = (
    ("park", 17),
    ("commercial", 6),
    ("office", 5),
    ("industrial", 6),
    ("hospital", 2),
    ("utility", 3),
    ("transport", 3),
    ("culture_sports", 1),
    ("planned", 7),
    ("pending", 2),
)
INDUSTRIAL_SUBDISTRICTS = ("霍营街道", "天通苑北街道")
MAX_SPECIAL_CELLS_PER_BLOCK = 4  # whole-cell programmes per block
#: Programmes that take a slice of a residential cell: (name, count, land use, area range m²).
SLICE_PROGRAMMES = (
    ("primary_school", 14, "A33", (15_000, 22_000)),
    ("middle_school", 8, "A33", (22_000, 30_000)),
    ("health_centre", 4, "A5", (5_000, 8_000)),
    ("elderly_home", 5, "A6", (4_000, 7_000)),
)
SLICE_MIN_WIDTH_M = 50.0
SLICE_MAX_SHARE = 0.5  # of the cell width
SLICE_RETAINED_PROB = 0.4
#: Small plots cut from the street corners of residential cells.
CORNER_PROGRAMMES = (("idle", 14), ("vacant", 8), ("pocket_park", 16), ("parking", 6), ("plaza", 4))
CORNER_SECOND_ROUND_PROB = 0.5  # chance that a cell gets a second corner plot
CORNER_PLOT_SIDE_M = (45.0, 75.0)
CORNER_PLOT_MAX_SHARE = 0.3  # of the cell side
IDLE_CORNER_USE_SHARES = {"X": 0.4, "R2": 0.2, "B1": 0.2, "G1": 0.2}
PROTECTIVE_STRIP_WIDTH_M = 35.0  # along the southern arterial
PARK_RETAINED_PROB = 0.3
PLANNED_USES = ("A33", "A5", "G1", "R2", "B2", "A6", "S4")
#: Permitted FAR of planned new land, by planned use.
PLANNED_FAR = {"A33": 1.2, "A5": 2.0, "G1": 0.05, "R2": 2.5, "B2": 3.0, "A6": 1.5, "S4": 0.8}
#: Expandable facilities: permitted FAR = built FAR + a value drawn from the range.
FAR_HEADROOM = {
    "school": (0.8, 1.0),
    "health_centre": (0.6, 1.0),
    "elderly_home": (0.5, 0.8),
    "hospital": (0.5, 0.9),
    "culture": (0.3, 0.5),
    "sports": (0.2, 0.4),
}
#: Commercial / office: permitted FAR = built FAR × a value drawn from the range.
FAR_SCALE = {"commercial": (1.0, 1.3), "office": (1.0, 1.2)}
#: Industrial, utility, transport: permitted FAR at least this.
MIN_PERMITTED_FAR = {"industrial": 1.2, "utility": 1.0, "transport": 0.5}
IDLE_CORNER_FAR = (0.5, 1.5)
#: Quality of green spaces (shares of good, fair, poor) by kind.
GREEN_QUALITY_SHARES = {
    "protective": (0.2, 0.5, 0.3),
    "pocket_park": (0.35, 0.45, 0.2),
    "plaza": (0.4, 0.4, 0.2),
    "park": (0.3, 0.45, 0.25),
    "attached": (0.2, 0.4, 0.4),
}

# ------------------------------------------------------------ residential compounds

STOREY_HEIGHT_M = 2.9
COMPOUND_ERA_SHARES = {"old": 0.38, "mid": 0.34, "new": 0.28}  # of the residential cells


@dataclass(frozen=True)
class CompoundEra:
    """Slab rows of a residential compound of one era."""

    floors: tuple[int, ...]
    floor_shares: tuple[float, ...]
    slab_length_m: tuple[float, float]
    slab_depth_m: float
    column_gap_m: float
    row_gap_per_height: float  # row gap ÷ building height
    min_row_gap_m: float = 0.0


COMPOUND_ERAS = {
    "old": CompoundEra((5, 6), (0.25, 0.75), (45.0, 60.0), 11.0, 10.0, 1.1, 18.0),  # 1976–1995
    "mid": CompoundEra((6, 9, 12, 14), (0.35, 0.3, 0.2, 0.15), (48.0, 62.0), 12.0, 12.0, 1.05, 20.0),  # 1996–2002
    "new": CompoundEra((12, 15, 18, 24), (0.2, 0.3, 0.3, 0.2), (55.0, 66.0), 13.0, 14.0, 0.95),  # 2003–2010
}
#: New compounds with this many floors have point towers instead of slabs.
TOWER_FLOORS = 24
TOWER_LENGTH_M, TOWER_DEPTH_M, TOWER_COLUMN_GAP_M = 34.0, 20.0, 24.0
TOWER_ROW_GAP_PER_HEIGHT = 0.75
LOWER_BUILDING_PROB = 0.2  # buildings 1 (≤ 6 floors) or 3 floors lower than their compound
INTERNAL_ROAD_PROB = 0.5  # compounds with ≥ 3 rows
ANCILLARY_PER_COMPOUND = (1, 4)  # 1–3 rooms in a row gap
ANCILLARY_KIND_SHARES = {"boiler_room": 0.35, "bike_shed": 0.4, "office": 0.25}
#: Ancillary rooms: (length m, depth m, floors).
ANCILLARY_SIZE = {"boiler_room": (20.0, 14.0, 1), "bike_shed": (26.0, 5.0, 1), "office": (22.0, 10.0, 2)}
ANCILLARY_ROW_GAP_CLEARANCE_M = 8.0  # the row gap must be this much deeper than the room

# ------------------------------------------------------------ building attributes

#: Construction years by era (whole compounds within a few years).
ERA_YEARS = {
    "old": (1976, 1995),
    "mid": (1996, 2002),
    "new": (2003, 2010),
    "school": (1995, 2008),
    "public": (1998, 2012),
    "commercial": (1998, 2010),
    "office": (2003, 2012),
    "industrial": (1985, 2000),
    "village": (1978, 1995),
}
COMPOUND_BUILD_YEARS = (0, 3)  # added to the compound's base year: 0–2
OCCUPANCY_IN_USE = (0.85, 1.0)
LOW_EFFICIENCY_PROB = 0.35  # of office / commercial buildings
OCCUPANCY_LOW_EFFICIENCY = (0.2, 0.5)
OCCUPANCY_BUSINESS = (0.7, 0.98)  # other office / commercial buildings
INDUSTRIAL_IDLE_PROB = 0.4  # whole industrial cells
ANCILLARY_IDLE_PROB = 0.55
VILLAGE_IDLE_PROB = 0.25
FLAT_ROOF_PROB = 0.5
OLD_PITCHED_ROOF_PROB = 0.6  # old-era housing
COMMERCIAL_FLAT_ROOF_PROB = 0.9
#: Share of buildings with a basement: by era (housing) or use group.
BASEMENT_PROB = {"new": 1.0, "mid": 0.6, "old": 0.3, "business": 1.0, "public": 0.4}
#: Share of the underground floor area in use (drawn per building before the calibration).
UNDERGROUND_USE_SHARE = {"business": (0.5, 0.9), "new": (0.3, 0.7), "other": (0.05, 0.5)}
TARGET_UNDERGROUND_USE = 0.40  # Huitian "社区地下空间利用率40%"
#: Floor area per job by building use.
M2_PER_JOB = {
    "office": 25,
    "commercial": 40,
    "industrial": 90,
    "warehouse": 250,
    "education": 60,
    "health": 35,
    "culture": 150,
    "sports": 300,
    "public_service": 50,
    "municipal": 200,
}
ANCILLARY_OFFICE_JOBS = 3.0  # per estate office in use
TARGET_JOBS_PER_WORKER = 0.30  # Huitian 0.25, Beijing 0.53

# ------------------------------------------------------------ people

PERSON_FLOOR_AREA_M2 = (20.0, 25.0)  # residential floor area per resident, per community
POPULATION_RANGE = (8_000, 20_000)  # per community
HOUSEHOLD_SIZE_PERSONS = (2.5, 2.7)
ELDERLY_SHARE = (0.13, 0.20)  # 60+
WORKER_SHARE = (0.50, 0.55)

# ------------------------------------------------------------ services

HOSPITAL_BEDS = (650, 450)
CHC_BEDS = (20, 40)
ELDERLY_HOME_BEDS = (90, 220)
KINDERGARTEN_SEATS = (180, 360)
KINDERGARTEN_PROB = 0.8  # per community, replacing one slab
KINDERGARTEN_FLOORS = 3
PARK_SPORTS_LAND_M2 = (1200, 3000)
COMMUNITY_SERVICE_FLOOR_AREA_M2 = (300, 800)  # every community has a service station
#: Other community facilities: (probability, category, name suffix, capacity ranges or values).
COMMUNITY_SERVICES = (
    (0.75, "culture", "文化活动室", {"floor_area_m2": (150, 700)}),
    (0.65, "clinic", "社区卫生服务站", {"floor_area_m2": (120, 400), "beds": 0.0}),
    (0.35, "elderly_day_care", "老年日间照料中心", {"floor_area_m2": (350, 800), "beds": (0, 11)}),
    (0.75, "garbage_station", "垃圾分类收集站", {}),
    (0.5, "public_toilet", "公厕", {}),
    (0.55, "supermarket", "超市", {}),
    (0.5, "post_express", "快递驿站", {}),
    (0.3, "charging_station", "充电站", {}),
    (0.15, "nursery", "托育中心", {"seats": (30, 80)}),
    (0.3, "sports", "健身场地", {"land_area_m2": (300, 1200)}),
)
POLICE_COMMUNITIES = (2, 17, 31)  # community numbers with a police station

# ------------------------------------------------------------ transport and parking

#: Rail stations at grid crossings (vertex column, row), set off north-east of the crossing.
RAIL_STATIONS = (((1, 2), "回龙观东大街站"), ((2, 2), "育知路站"), ((3, 3), "天通苑北站"))
RAIL_STATION_OFFSET_M = 45.0
SECONDARY_WITHOUT_BUS_PROB = 0.45  # built secondary road segments without bus stops
BUS_STOP_FIRST_M = (120.0, 260.0)  # first stop from the segment start
BUS_STOP_SPACING_M = (480.0, 620.0)
BUS_STOP_END_MARGIN_M = 80.0
BUS_STOP_KERB_OFFSET_M = 3.0  # beyond the red line
FLOOR_AREA_PER_HOUSEHOLD_M2 = 80.0  # for the compounds' parking
SURFACE_SPACES_PER_HOUSEHOLD = (0.12, 0.3)
GARAGE_SPACES_PER_HOUSEHOLD = (0.25, 0.45)  # underground garages of new compounds
STACKED_GARAGE_PROB = 0.4  # mid-era compounds
STACKED_SPACES_PER_HOUSEHOLD = (0.05, 0.12)
LOT_M2_PER_SPACE = 30.0  # public surface lots
TERMINAL_LOT_M2_PER_SPACE = 28.0  # lots next to the bus terminals
OFFICE_GARAGE_SPACES = (150, 400)
HOSPITAL_PARKING_SPACES = (150, 300)
ON_STREET_STRETCHES = 24  # on built branch roads
ON_STREET_SPACES = (20, 70)
