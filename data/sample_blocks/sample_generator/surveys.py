"""The demand list (图3) and vision list (图4), drawn from the layers, and their CSV form."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd

DEMAND_CSV = "demand_survey.csv"
VISION_CSV = "vision_survey.csv"
#: Headers of the demand list exactly as in 图3 of the guideline.
DEMAND_HEADERS = ("街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题")
VISION_HEADERS = ("街道", "社区", "愿景")
NONE_MARK = "--"

# Demand (图3) and vision (图4) vocabularies, phrased as in the guideline.
NEED_SERVICES = ("文化活动室", "健身器材与场地", "养老", "医疗", "教育", "管理")
NEED_SPACE = ("绿地维护", "增加绿地", "活动广场", "健身步道", "活动场地")
NEED_MUNICIPAL = ("排水", "水压", "电力", "供热")
NEED_TRAFFIC = ("停车位不足", "充电桩", "社区道路改造")
VISIONS = (
    "家门口有便民菜市场和早餐店，买菜吃饭不用跑远路",
    "社区里开一家老年餐桌，老人能吃上热乎饭",
    "楼下有裁缝、修鞋、洗衣等便民小店，缝缝补补方便",
    "换季衣物有地方晾晒，小区里规划整洁的晾衣区",
    "老楼加装电梯，楼道、管线和外墙翻新",
    "物业管理更规范，小区干净整洁、安全有序",
    "孩子在家门口就能上好幼儿园和好小学",
    "社区卫生服务站能看常见病，老人拿药不用排长队",
    "有日间照料中心，老人白天有人照看、有地方活动",
    "有口袋公园和健身步道，下楼就能散步锻炼",
    "有室内文化活动室，下雨天也能跳舞、下棋、读书",
    "下班回家能在小区附近找到车位，不再绕圈停车",
    "小区里多装充电桩，电动车充电安全方便",
    "地铁站接驳公交更方便，早高峰不再挤",
    "自行车专用路延伸到家门口，骑车上班更安全",
    "打通断头路，出小区不再绕远",
    "附近能有更多就业岗位，不用每天长距离通勤",
    "夜间街道亮起来，有夜市和小吃街，晚上也有去处",
    "下雨天小区和路口不再积水",
    "冬天暖气热、夏天水压足，停电停水少一些",
)


def surveys(layers: dict[str, gpd.GeoDataFrame], rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Demand list (图3) and vision list (图4), one or more rows per community.

    Needs follow the data where it has a say (missing culture room, many elderly,
    poor attached green, old compounds, few parking spaces), with some noise.
    """
    comm = layers["communities"]
    fac = layers["facilities"]
    green = layers["green"]
    parking = layers["parking"]
    buildings = layers["buildings"]

    def per_comm(frame: gpd.GeoDataFrame) -> pd.Series:
        pts = frame.geometry.representative_point().to_numpy()
        pt_idx, comm_idx = comm.sindex.query(pts, predicate="within")
        return pd.Series(comm_idx, index=pt_idx).reindex(range(len(frame)))

    fac_comm = per_comm(fac)
    green_comm = per_comm(green)
    park_comm = per_comm(parking)
    bld_comm = per_comm(buildings)
    demand_rows, vision_rows = [], []
    for ci, row in comm.iterrows():
        cats = set(fac.loc[fac_comm == ci, "category"])
        poor = (green.loc[green_comm == ci, "quality"] == "poor").any()
        parks = (green.loc[green_comm == ci, "kind"] == "park").any()
        res = buildings[(bld_comm == ci).to_numpy() & (buildings["use"] == "residential").to_numpy()]
        old = (res["year_built"] <= 2002).mean() > 0.5 if len(res) else False
        spaces = parking.loc[park_comm == ci, "spaces"].sum()

        services = []
        if "culture" not in cats or rng.random() < 0.25:
            services.append("文化活动室")
        if "sports" not in cats and rng.random() < 0.6:
            services.append("健身器材与场地")
        if row["elderly_population"] / row["population"] > 0.175 or (
            "elderly_day_care" not in cats and rng.random() < 0.4
        ):
            services.append("养老")
        if "clinic" not in cats and rng.random() < 0.5:
            services.append("医疗")
        if "kindergarten" not in cats and rng.random() < 0.6:
            services.append("教育")
        if old and rng.random() < 0.3:
            services.append("管理")
        space = []
        if poor:
            space.append("绿地维护")
        if not parks and rng.random() < 0.6:
            space.append("增加绿地")
        if rng.random() < 0.3:
            space.append(str(rng.choice(("活动广场", "健身步道", "活动场地"))))
        municipal = []
        if old:
            for need, prob in (("排水", 0.35), ("水压", 0.2), ("电力", 0.15), ("供热", 0.25)):
                if rng.random() < prob:
                    municipal.append(need)
        traffic = []
        if spaces < 0.25 * row["households"] or rng.random() < 0.6:
            traffic.append("停车位不足")
        if rng.random() < 0.3:
            traffic.append("充电桩")
        if old and rng.random() < 0.45:
            traffic.append("社区道路改造")
        demand_rows.append(
            [row["subdistrict"], row["name"]]
            + ["、".join(x) if x else NONE_MARK for x in (services, space, municipal, traffic)]
        )
        for k in rng.choice(len(VISIONS), size=int(rng.integers(1, 4)), replace=False):
            vision_rows.append([row["subdistrict"], row["name"], VISIONS[k]])
    return {
        DEMAND_CSV: pd.DataFrame(demand_rows, columns=list(DEMAND_HEADERS)),
        VISION_CSV: pd.DataFrame(vision_rows, columns=list(VISION_HEADERS)),
    }


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (opens in Excel), LF line ends, every field as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.astype(str).itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8-sig")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (opens in Excel), LF line ends, every field as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.astype(str).itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8-sig")
