"""What the generated requests are drawn from: the demo's grids, services and routing, the people who
file and handle them, and the weights that make some services, places and days much busier, and
some communities and organisations much slower.

Everything here is loaded once per seeding run. The weights come from the seed alone (and, for the
demo's own services, from DEMAND), so a second run with the same seed adds requests with the same
hot spots and the same favourite services.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from directory.models import Area, Organisation
from residents.models import ResidentProfile
from security import personal_data
from security.models import Role, RoleAssignment, User
from security.services import role_grant, user_create
from services.models import Service, ServiceAttribute
from services.services import routing_resolve

# How far back the requests go by default (`seed_demo --requests`); the demo's history takes one year.
DAYS = 730
# A resident's day, Beijing time: few requests at night, a morning and an afternoon peak.
HOUR_WEIGHTS = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.6, 3.0, 3.0, 2.6,
    1.8, 2.0, 2.6, 2.6, 2.3, 2.0, 2.0, 2.1, 1.8, 1.4, 0.8, 0.4,
]  # fmt: skip
# Monday first: offices and hotlines are busiest early in the week; weekends are quieter.
WEEKDAY_WEIGHTS = [1.25, 1.15, 1.1, 1.05, 1.0, 0.7, 0.6]
# How much each demo service is asked for, relative to the others, roughly as a city hotline's
# figures run: estate repairs and city upkeep most, utilities next, the specialised bureaus least.
# Services not listed (another catalogue) get Zipf-like weights in an order the seed shuffles.
DEMAND = {
    "property-repair": 1.0,
    "garbage": 0.8,
    "noise": 0.6,
    "street-light": 0.5,
    "road-damage": 0.5,
    "water-outage": 0.35,
    "power-outage": 0.3,
    "elderly-care": 0.3,
    "security-concern": 0.25,
    "labour-rights": 0.2,
    "food-safety": 0.18,
    "public-health": 0.15,
    "school-surroundings": 0.1,
    "flood-hazard": 0.08,
}
# Month multipliers (January first) of the demo services whose demand follows the seasons:
# summer water shortages, power cuts and noise, the rainy season's potholes and floods, mosquitoes,
# rubbish after the Spring Festival, winter visits to the elderly, unpaid wages before the New Year,
# school gates in term time.
SEASONS = {
    "water-outage": [0.6, 0.6, 0.7, 0.8, 1.0, 1.4, 2.0, 2.2, 1.4, 0.9, 0.7, 0.6],
    "power-outage": [1.2, 1.0, 0.7, 0.7, 0.9, 1.3, 1.9, 2.0, 1.2, 0.7, 0.8, 1.1],
    "noise": [0.6, 0.7, 0.9, 1.0, 1.2, 1.4, 1.6, 1.6, 1.2, 1.0, 0.8, 0.6],
    "road-damage": [0.7, 0.7, 0.8, 0.9, 1.1, 1.5, 1.7, 1.6, 1.3, 0.9, 0.8, 0.7],
    "flood-hazard": [0.2, 0.2, 0.4, 0.7, 1.2, 2.4, 3.2, 2.8, 1.6, 0.6, 0.3, 0.2],
    "public-health": [0.4, 0.4, 0.6, 0.9, 1.3, 1.7, 2.0, 1.9, 1.4, 0.9, 0.6, 0.4],
    "garbage": [1.3, 1.8, 1.1, 0.9, 0.9, 1.1, 1.2, 1.2, 1.0, 1.1, 0.9, 1.0],
    "elderly-care": [1.5, 1.4, 1.1, 0.9, 0.8, 0.8, 1.0, 1.1, 0.9, 0.9, 1.2, 1.5],
    "labour-rights": [2.2, 1.0, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 1.0, 1.3, 1.9],
    "school-surroundings": [0.8, 0.3, 1.4, 1.2, 1.2, 1.1, 0.4, 0.3, 1.6, 1.2, 1.2, 1.1],
}
# Services people rather keep out of the public list: who needs care, where a hazard is.
MOSTLY_PRIVATE = {"elderly-care", "security-concern"}
DESCRIPTIONS = {
    "road-damage": ["人民路菜市场门口路面塌陷，下雨积水。", "人行道砖松动，老人容易绊倒。", "井盖缺失，晚上很危险。"],
    "street-light": ["楼道灯坏了好几天，晚上上下楼看不见。", "小区北门外路灯晚上不亮。", "路灯白天一直亮着，浪费电。"],
    "garbage": ["垃圾桶已经满了，周围有异味。", "楼下有人乱倒建筑垃圾。", "垃圾两天没人清运了。"],
    "property-repair": ["电梯经常停运，老人上下楼很困难。", "单元门门禁坏了，谁都能进。", "顶楼屋面漏水，墙面发霉。"],
    "water-outage": ["今天一早停水，没有看到通知。", "水压很低，楼上几乎没水。", "自来水发黄，不敢喝。"],
    "noise": ["夜里施工噪音太大，影响休息。", "晚上十点以后广场舞音响声音太大。", "楼下商铺音响太吵。"],
    "elderly-care": ["独居老人希望社区定期上门看看。", "老人行动不便，需要助餐服务。", "老人要去医院复查，需要陪护。"],
    "security-concern": ["消防通道被车辆长期占用。", "楼道堆满杂物，有火灾隐患。", "小区里有陌生人挨家敲门推销。"],
    "power-outage": ["整栋楼突然停电，没有看到通知。", "电压忽高忽低，家电用不了。", "小区门口电线垂得很低，很危险。"],
    "public-health": ["小区绿化带蚊子特别多。", "垃圾站附近老鼠成群。", "楼下有人无证行医、卖药。"],
    "labour-rights": ["工地拖欠工资三个月了。", "公司一直没给交社保。", "辞职后老板不结工资。"],
    "flood-hazard": ["下大雨后小区门口积水很深，车辆无法通行。", "屋后边坡出现裂缝，担心滑坡。", "河堤有一段在渗水。"],
    "food-safety": ["超市在卖过期的牛奶。", "路边摊没有证照，卫生很差。", "饭店菜价和菜单不一致。"],
    "school-surroundings": ["放学时校门口堵得水泄不通。", "校门口流动摊贩卖三无零食。", "小区里有无证校外培训班。"],
}  # fmt: skip
# Answers to free-text questions, by the question's code; other questions get an address.
TEXT_ANSWERS = {
    "estate": ["滨江花园3栋", "北湖小区12栋", "模范街6号院", "文化路1号小区2栋", "建设路锦绣苑8栋"],
    "school": ["顺庆区实验小学", "南充市第一中学", "文化路小学", "北湖小学", "西华师大附中"],
}
GENERIC_DESCRIPTIONS = ["情况比较紧急，请尽快处理。", "已经反映过一次，还没有解决。", "希望社区帮忙协调。"]
STREETS = ["人民路", "文化路", "滨江大道", "模范街", "北湖路", "涪江路", "延安路", "建设路", "桂花巷", "和平路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN_NAMES = ["秀英", "桂兰", "建国", "志强", "海燕", "德华", "玉梅", "明", "静", "伟", "芳", "军", "丽", "强", "敏"]


@dataclass
class GridInfo:
    pk: int
    lat: float | None
    lng: float | None
    worker_id: int
    # How well the grid's community keeps up (>1 is late more often): its grid workers accept the
    # requests, and some committees are short of hands.
    quality: float = 1.0
    resident_ids: list[int] = field(default_factory=list)


@dataclass
class ServiceInfo:
    pk: int
    code: str
    accept_seconds: int
    resolve_seconds: int
    reopen_seconds: int
    public_share: float
    descriptions: list[str]
    answers: list[str]  # JSON texts of valid answers to the service's questions
    day_cumulative: list[float] = field(default_factory=list)


@dataclass
class World:
    grids: list[GridInfo]
    grid_cumulative: list[float]
    services: list[ServiceInfo]
    service_cumulative: list[float]
    routes: dict[tuple[int, int], int | None]
    quality: dict[int | None, float]  # per handling organisation: >1 is late more often
    all_resident_ids: list[int]
    partner_filer_id: int | None
    hour_cumulative: list[float]
    days: int  # how many days back the requests go, today included
    first_day: int  # epoch seconds of local midnight, `days` - 1 days before today
    hot_grid_ids: list[int]
    accounts_created: int
    phone_pool: list[tuple[str, str]]  # (ciphertext, masked) of callers without an account


def _answers(service: Service, rng: random.Random) -> list[str]:
    """A handful of valid answer sets for the service's questions, as stored (JSON)."""
    attributes = list(service.attributes.all())
    variants = []
    for _ in range(6):
        answers: dict = {}
        for attribute in attributes:
            if not attribute.required and rng.random() < 0.5:
                continue
            keys = [value["key"] for value in attribute.values]
            kind = attribute.datatype
            if kind == ServiceAttribute.Datatype.SINGLEVALUELIST and keys:
                answers[attribute.code] = rng.choice(keys)
            elif kind == ServiceAttribute.Datatype.MULTIVALUELIST and keys:
                answers[attribute.code] = sorted(rng.sample(keys, rng.randint(1, len(keys))))
            elif kind == ServiceAttribute.Datatype.NUMBER:
                answers[attribute.code] = str(rng.randint(1, 30))
            elif kind == ServiceAttribute.Datatype.DATETIME:
                answers[attribute.code] = "2026-01-01T08:00:00+08:00"
            elif attribute.code in TEXT_ANSWERS:
                answers[attribute.code] = rng.choice(TEXT_ANSWERS[attribute.code])
            else:
                answers[attribute.code] = f"{rng.choice(STREETS)}{rng.randint(1, 30)}栋"
        variants.append(json.dumps(answers, ensure_ascii=False, separators=(",", ":")))
    return variants


def _day_cumulative(code: str, first: datetime, days: int, rng: random.Random) -> list[float]:
    """Cumulative weights of the `days` days: more use as the portal catches on, the weekly rhythm,
    the service's season, and a few bad days (a burst main, a storm) with a flood of requests."""
    season = SEASONS.get(code, [1.0] * 12)
    bad_days = {rng.randrange(days) for _ in range(4)}
    weights = []
    for day in range(days):
        date = first + timedelta(days=day)
        weight = (0.55 + 0.9 * day / days) * WEEKDAY_WEIGHTS[date.weekday()] * season[date.month - 1]
        weights.append(weight * (5.0 if day in bad_days else 1.0))
    return list(accumulate(weights))


def _grid_workers(grids: list[Area]) -> dict[int, int]:
    """A grid worker for every grid, made (audited, with no usable password) where there is none."""
    have = dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__in=grids)
        .order_by("area_id", "user_id")
        .values_list("area_id", "user_id")
        .distinct("area_id")
    )
    committees = {
        organisation.area_id: organisation
        for organisation in Organisation.objects.filter(kind=Organisation.Kind.COMMUNITY_COMMITTEE)
    }
    for index, grid in enumerate(grids):
        if grid.pk in have:
            continue
        username = f"demo_grid_{grid.code}"
        user = User.objects.filter(username=username).first() or user_create(
            username=username,
            password=None,
            first_name=SURNAMES[index % len(SURNAMES)] + "网格",
        )
        role_grant(user=user, role=Role.GRID_WORKER, area=grid, organisation=committees.get(grid.parent_id))
        have[grid.pk] = user.pk
    return have


def _resident_accounts() -> int:
    """Give every registered resident without an account one (no usable password), so requests
    can be filed in their name. Returns how many were made; the seeding run's audit event says so."""
    profiles = list(ResidentProfile.objects.filter(user__isnull=True).order_by("pk"))
    if not profiles:
        return 0
    users = User.objects.bulk_create(
        [
            User(
                username=f"demo_resident_{profile.pk}", first_name=profile.full_name[:150], password=make_password(None)
            )
            for profile in profiles
        ]
    )
    for profile, user in zip(profiles, users, strict=True):
        profile.user = user
    ResidentProfile.objects.bulk_update(profiles, ["user"])
    return len(profiles)


def _phone_pool(rng: random.Random) -> list[tuple[str, str]]:
    pool = []
    for _ in range(40):
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        pool.append((personal_data.encrypt(phone), personal_data.mask_phone(phone)))
    return pool


def world_load(*, seed: int, now: datetime, days: int = DAYS) -> World:
    """Load the demo's structure and make the accounts the requests need (once), for requests filed
    over the `days` days up to `now`."""
    if days < 1:
        raise ValueError(f"The requests need at least one day to be filed in, not {days}.")
    rng = random.Random(f"world:{seed}")  # noqa: S311 - demo data, not secrets
    grids = list(Area.objects.filter(kind=Area.Kind.GRID).order_by("path"))
    services = list(Service.objects.filter(is_active=True).prefetch_related("attributes").order_by("order", "code"))
    if not grids or not services:
        raise ValueError("No grids or no active services: build the demo first (manage.py seed_demo).")
    workers = _grid_workers(grids)
    accounts = _resident_accounts()
    infos = {
        grid.pk: GridInfo(
            pk=grid.pk,
            lat=float(grid.centre_lat) if grid.centre_lat is not None else None,
            lng=float(grid.centre_lng) if grid.centre_lng is not None else None,
            worker_id=workers[grid.pk],
        )
        for grid in grids
    }
    for user_id, grid_id in (
        ResidentProfile.objects.filter(user__isnull=False, household__grid__in=grids)
        .order_by("pk")
        .values_list("user_id", "household__grid_id")
    ):
        infos[grid_id].resident_ids.append(user_id)

    # Busy and quiet places: communities and grids differ a lot, and a few grids are hot spots.
    community_weight = {grid.parent_id: 0.0 for grid in grids}
    for community in community_weight:
        community_weight[community] = rng.lognormvariate(0, 0.6)
    grid_weights = [community_weight[grid.parent_id] * rng.lognormvariate(0, 0.5) for grid in grids]
    hot = rng.sample(range(len(grids)), k=min(3, len(grids)))
    for index in hot:
        grid_weights[index] *= 5
    # Quick and slow communities, so their SLA figures differ (bounded: no community is hopeless).
    community_quality = {community: min(2.5, max(0.4, rng.lognormvariate(0, 0.5))) for community in community_weight}
    for grid in grids:
        infos[grid.pk].quality = community_quality[grid.parent_id]

    # The demo's services as DEMAND says; any other Zipf-like, in an order the seed shuffles.
    ranked = list(range(len(services)))
    rng.shuffle(ranked)
    service_weights = [0.0] * len(services)
    for rank, index in enumerate(ranked, start=1):
        service_weights[index] = DEMAND.get(services[index].code, 1 / rank**1.1)

    local_now = timezone.localtime(now)
    first_local = (local_now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    service_infos = [
        ServiceInfo(
            pk=service.pk,
            code=service.code,
            accept_seconds=service.accept_within_hours * 3600,
            resolve_seconds=service.resolve_within_days * 86400,
            reopen_seconds=service.reopen_window_days * 86400,
            public_share=0.2 if service.code in MOSTLY_PRIVATE else 0.9,
            descriptions=DESCRIPTIONS.get(service.code, GENERIC_DESCRIPTIONS),
            answers=_answers(service, rng),
            day_cumulative=_day_cumulative(service.code, first_local, days, rng),
        )
        for service in services
    ]
    # The real routing rules, resolved once per (service, grid) rather than once per request.
    routes = {
        (service.pk, grid.pk): routing_resolve(service=service, grid=grid) for service in services for grid in grids
    }
    quality = {None: 1.0}
    for organisation in sorted({o for o in routes.values() if o is not None}, key=lambda o: o.code):
        quality[organisation.pk] = rng.uniform(0.4, 1.8)
    partner_filer = (
        RoleAssignment.objects.filter(role=Role.PARTNER_OPERATOR)
        .order_by("user__username")
        .values_list("user_id", flat=True)
        .first()
    )
    return World(
        grids=[infos[grid.pk] for grid in grids],
        grid_cumulative=list(accumulate(grid_weights)),
        services=service_infos,
        service_cumulative=list(accumulate(service_weights)),
        routes={key: (organisation.pk if organisation else None) for key, organisation in routes.items()},
        quality=quality,
        all_resident_ids=[user_id for info in infos.values() for user_id in info.resident_ids],
        partner_filer_id=partner_filer,
        hour_cumulative=list(accumulate(HOUR_WEIGHTS)),
        days=days,
        first_day=int(first_local.astimezone(UTC).timestamp()),
        hot_grid_ids=[grids[index].pk for index in hot],
        accounts_created=accounts,
        phone_pool=_phone_pool(rng),
    )
