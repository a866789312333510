"""Demo data: Shunqing District (顺庆区, Nanchong) with its subdistricts, communities and grids,
departments, enterprise partners, one demo user per role and a few hundred residents.

Everything is keyed by a stable code or name and made through the real services only when it is
missing, so building it twice leaves the same data (and writes no second set of audit events).
Names of partners are invented for the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.db import transaction

from demo.casework import build_catalogue, build_demo_requests
from demo.exchange import exchange_demo_seed
from demo.notices import build_demo_notices
from demo.participation import build_demo_participation
from demo.programme import build_demo_programme
from demo.workforce import build_demo_workforce
from directory.models import Area, Organisation
from directory.services import area_create, organisation_create
from residents.models import Household, ResidentProfile
from residents.services import household_create, resident_register
from security import personal_data
from security.mfa import mfa_enrolled, mfa_totp_enrol
from security.models import Role, User
from security.roles import STAFF_ROLES
from security.services import role_grant, user_create

DISTRICT_CODE = "511302"
DEMO_PASSWORD = "Shunqing-demo-2026"  # noqa: S105 - published on purpose, for the demo only

# Subdistrict (街道) or town (镇), its English name, and its communities (社区).
SUBDISTRICTS = [
    ("中城街道", "Zhongcheng Subdistrict", ["大东街社区", "模范街社区", "文化路社区", "人民中路社区"]),
    ("北城街道", "Beicheng Subdistrict", ["北湖社区", "玉带路社区", "红庙子社区"]),
    ("西城街道", "Xicheng Subdistrict", ["西山社区", "滨江社区", "西河路社区"]),
    ("舞凤街道", "Wufeng Subdistrict", ["舞凤社区", "涪江路社区", "凤垭社区"]),
    ("华凤街道", "Huafeng Subdistrict", ["华凤社区", "清泉社区", "凤仪社区"]),
    ("和平路街道", "Hepinglu Subdistrict", ["和平社区", "新华社区", "延安路社区"]),
    ("东南街道", "Dongnan Subdistrict", ["金鱼岭社区", "五星社区", "桂花社区"]),
    ("新建街道", "Xinjian Subdistrict", ["新建社区", "建设路社区", "莲池社区"]),
    ("潆溪街道", "Yingxi Subdistrict", ["潆溪社区", "桥亭社区", "胜观社区"]),
    ("荆溪街道", "Jingxi Subdistrict", ["荆溪社区", "白塔社区", "将军社区"]),
    ("搬罾街道", "Banzeng Subdistrict", ["搬罾社区", "大林社区", "光华社区"]),
    ("共兴镇", "Gongxing Town", ["共兴社区", "青龙社区", "金宝社区"]),
]
GRIDS_PER_COMMUNITY = 2

DEPARTMENTS = [
    ("dept-mzj", "顺庆区民政局", "Civil Affairs Bureau"),
    ("dept-zjj", "顺庆区住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("dept-zfj", "顺庆区综合行政执法局", "Comprehensive Law Enforcement Bureau (City Management)"),
    ("dept-wjj", "顺庆区卫生健康局", "Health Commission"),
    ("dept-gaj", "南充市公安局顺庆区分局", "Public Security Sub-bureau"),
    ("dept-rsj", "顺庆区人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("dept-yjj", "顺庆区应急管理局", "Emergency Management Bureau"),
    ("dept-scj", "顺庆区市场监督管理局", "Market Regulation Administration"),
    ("dept-jkj", "顺庆区教育科技局", "Education and Science Bureau"),
]

# (code, Chinese name, English name, area code it is based in): invented for the demo. Jiahe also
# looks after the estates of neighbouring Beicheng (see the routing in demo.casework).
PARTNERS = [
    ("partner-jiahe", "南充嘉和物业服务有限公司（演示）", "Jiahe Property Services (demo)", "511302001"),
    ("partner-shunan", "四川顺安物业管理有限公司（演示）", "Shun'an Property Management (demo)", DISTRICT_CODE),
    ("partner-water", "南充清源水务有限公司（演示）", "Qingyuan Water Utility (demo)", DISTRICT_CODE),
    ("partner-power", "顺庆城区供电服务中心（演示）", "Shunqing City Power Service Centre (demo)", DISTRICT_CODE),
]

# (code, Chinese name, English name, area code it is based in): social organisations (社会组织),
# invented for the demo. The Xicheng subdistrict's elderly-care requests are routed to Xiyanghong (see
# demo.casework); Tongxin, of the first subdistrict, runs events and volunteering in the first community
# (demo_social, see demo.participation) and its seniors' canteen (demo.proposals).
SOCIAL_ORGANISATIONS = [
    ("social-xiyanghong", "顺庆区夕阳红养老服务中心（演示）", "Xiyanghong Elderly Care Centre (demo)", "511302003"),
    ("social-tongxin", "中城街道同心社会工作服务中心（演示）", "Tongxin Social Work Centre (demo)", "511302001"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN_NAMES = ["秀英", "桂兰", "建国", "志强", "海燕", "德华", "玉梅", "明", "静", "伟", "芳", "军", "丽", "强", "敏"]
STREETS = ["人民路", "文化路", "滨江大道", "模范街", "北湖路", "涪江路", "延安路", "建设路", "桂花巷", "和平路"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


def _area(*, code, kind, name_zh, name_en, parent, centre) -> Area:
    existing = Area.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return area_create(code=code, kind=kind, name_zh=name_zh, name_en=name_en, parent=parent, centre=centre)


def _organisation(*, code, kind, name_zh, name_en, area) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return organisation_create(code=code, kind=kind, name_zh=name_zh, name_en=name_en, area=area)


def _centre(rng: random.Random) -> tuple[Decimal, Decimal]:
    # Around the centre of Shunqing District (about 30.80 N, 106.08 E).
    lat = Decimal("30.7950") + Decimal(rng.randint(-400, 400)) / Decimal(10000)
    lng = Decimal("106.0900") + Decimal(rng.randint(-500, 500)) / Decimal(10000)
    return lat, lng


def build_structure() -> Area:
    rng = random.Random(511302)  # noqa: S311 - fixed seed: demo coordinates are the same each run
    district = _area(
        code=DISTRICT_CODE,
        kind=Area.Kind.DISTRICT,
        name_zh="顺庆区",
        name_en="Shunqing District",
        parent=None,
        centre=(Decimal("30.795600"), Decimal("106.092500")),
    )
    for s_index, (s_zh, s_en, communities) in enumerate(SUBDISTRICTS, start=1):
        s_code = f"{DISTRICT_CODE}{s_index:03d}"
        subdistrict = _area(
            code=s_code,
            kind=Area.Kind.SUBDISTRICT,
            name_zh=s_zh,
            name_en=s_en,
            parent=district,
            centre=_centre(rng),
        )
        office_en = s_en.replace("Subdistrict", "Subdistrict Office").replace("Town", "Town Government")
        office_zh = s_zh + ("办事处" if s_zh.endswith("街道") else "人民政府")
        _organisation(
            code=f"office-{s_code}",
            kind=Organisation.Kind.SUBDISTRICT_OFFICE,
            name_zh=office_zh,
            name_en=office_en,
            area=subdistrict,
        )
        for c_index, c_zh in enumerate(communities, start=1):
            c_code = f"{s_code}{c_index:03d}"
            community = _area(
                code=c_code,
                kind=Area.Kind.COMMUNITY,
                name_zh=c_zh,
                name_en=f"Community {c_code}",
                parent=subdistrict,
                centre=_centre(rng),
            )
            _organisation(
                code=f"committee-{c_code}",
                kind=Organisation.Kind.COMMUNITY_COMMITTEE,
                name_zh=f"{c_zh}居民委员会",
                name_en=f"Residents' committee of community {c_code}",
                area=community,
            )
            for g_index in range(1, GRIDS_PER_COMMUNITY + 1):
                _area(
                    code=f"{c_code}{g_index:02d}",
                    kind=Area.Kind.GRID,
                    name_zh=f"{c_zh}第{g_index}网格",
                    name_en=f"Grid {g_index}, community {c_code}",
                    parent=community,
                    centre=_centre(rng),
                )
    for code, name_zh, name_en in DEPARTMENTS:
        _organisation(code=code, kind=Organisation.Kind.DEPARTMENT, name_zh=name_zh, name_en=name_en, area=district)
    for code, name_zh, name_en, area_code in PARTNERS:
        _organisation(
            code=code,
            kind=Organisation.Kind.PARTNER,
            name_zh=name_zh,
            name_en=name_en,
            area=Area.objects.get(code=area_code),
        )
    for code, name_zh, name_en, area_code in SOCIAL_ORGANISATIONS:
        _organisation(
            code=code,
            kind=Organisation.Kind.SOCIAL_ORGANISATION,
            name_zh=name_zh,
            name_en=name_en,
            area=Area.objects.get(code=area_code),
        )
    return district


def _user(username: str, first_name: str, *, password: str) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    # No e-mail address: the demo's notifications stay in the in-app inbox instead of flooding the console.
    return user_create(username=username, password=password, email="", first_name=first_name)


def _demo_id_card(rng: random.Random, *, elderly: bool) -> str:
    year = rng.randint(1935, 1964) if elderly else rng.randint(1966, 2004)
    body = f"{DISTRICT_CODE}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + personal_data.id_card_check_character(body)


def build_residents(*, demo_resident: User) -> None:
    """Two households per grid with two or three residents each; the demo resident is the first."""
    rng = random.Random(20261125)  # noqa: S311 - fixed seed: the same residents each run
    for grid in Area.objects.filter(kind=Area.Kind.GRID, path__startswith=f"{DISTRICT_CODE}/").order_by("path"):
        for h_index in range(1, 3):
            address = (
                f"{rng.choice(STREETS)}{rng.randint(1, 300)}号{h_index}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
            )
            household = Household.objects.filter(grid=grid, address=address).first() or household_create(
                actor=None, address=address, grid=grid
            )
            for r_index in range(rng.randint(2, 3)):
                elderly = rng.random() < 0.35
                id_card = _demo_id_card(rng, elderly=elderly)
                phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
                name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
                lives_alone = elderly and rng.random() < 0.4
                id_hash = personal_data.lookup_hash("id_card", id_card)
                if ResidentProfile.objects.filter(id_card_hash=id_hash).exists():
                    continue
                is_demo = not ResidentProfile.objects.filter(user=demo_resident).exists() and r_index == 0
                resident_register(
                    actor=None,
                    household=household,
                    full_name="张桂兰" if is_demo else name,
                    id_card_number=id_card,
                    phone=phone,
                    is_elderly=elderly or is_demo,
                    lives_alone=lives_alone,
                    consent_given=True,
                    user=demo_resident if is_demo else None,
                )


@transaction.atomic
def build_demo(*, password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    district = build_structure()
    first_subdistrict = Area.objects.get(code=f"{DISTRICT_CODE}001")
    first_community = Area.objects.get(code=f"{DISTRICT_CODE}001001")
    first_grid = Area.objects.get(code=f"{DISTRICT_CODE}00100101")
    committee = Organisation.objects.get(code=f"committee-{first_community.code}")
    office = Organisation.objects.get(code=f"office-{first_subdistrict.code}")
    civil_affairs = Organisation.objects.get(code="dept-mzj")
    property_company = Organisation.objects.get(code="partner-jiahe")
    social_organisation = Organisation.objects.get(code="social-tongxin")

    # (username, display name, role, area, organisation)
    people = [
        ("demo_resident", "张桂兰", Role.RESIDENT, first_grid, None),
        ("demo_grid", "李网格", Role.GRID_WORKER, first_grid, committee),
        ("demo_community", "王社区", Role.COMMUNITY_STAFF, first_community, committee),
        ("demo_subdistrict", "赵街道", Role.SUBDISTRICT_OFFICER, first_subdistrict, office),
        ("demo_department", "陈民政", Role.DEPARTMENT_OFFICER, district, civil_affairs),
        ("demo_leader", "刘区长", Role.DISTRICT_LEADER, district, None),
        ("demo_partner", "周物业", Role.PARTNER_OPERATOR, first_subdistrict, property_company),
        ("demo_social", "吴社工", Role.PARTNER_OPERATOR, first_subdistrict, social_organisation),
        ("demo_civil", "黄民政", Role.CIVIL_AFFAIRS_OFFICER, district, None),
        ("demo_auditor", "孙审计", Role.AUDITOR, district, None),
        ("demo_admin", "系统管理员", Role.ADMIN, district, None),
    ]
    logins = []
    for username, display_name, role, area, organisation in people:
        user = _user(username, display_name, password=password)
        role_grant(user=user, role=role, area=area, organisation=organisation)
        if role in STAFF_ROLES and not mfa_enrolled(user):
            # Staff must sign in with a second factor; `manage.py demo_mfa_code <username>` shows the code.
            mfa_totp_enrol(user=user, secret=generate_totp_secret())
        logins.append(DemoLogin(username=username, role=str(Role(role).label), where=str(organisation or area)))
    admin = User.objects.get(username="demo_admin")
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    demo_resident = User.objects.get(username="demo_resident")
    build_residents(demo_resident=demo_resident)
    build_catalogue(district=district)
    build_demo_requests(resident=demo_resident, grid_worker=User.objects.get(username="demo_grid"))
    exchange_demo_seed()
    build_demo_notices(community=first_community, grid=first_grid, district=district)
    build_demo_participation(community=first_community)
    build_demo_workforce()
    build_demo_programme(district=district, community=first_community)
    return logins
