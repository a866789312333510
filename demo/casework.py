"""Demo service catalogue, routing rules and requests in every state, for Shunqing District."""

from directory.models import Area, Organisation
from security.models import User
from services import services as steps
from services.catalogue import service_define
from services.models import RoutingRule, Service, ServiceRequest


def _choices(*pairs):
    return [{"key": key, "name_zh": zh, "name_en": en} for key, zh, en in pairs]


CATALOGUE = [
    {
        "code": "road-damage", "group": "道路与照明", "name_zh": "道路破损", "name_en": "Damaged road or pavement",
        "description_zh": "路面坑洼、人行道砖松动、井盖缺失等。", "description_en": "Potholes, loose paving, missing drain covers.",
        "keywords": "道路,坑洼,井盖,road,pothole", "accept_within_hours": 24, "resolve_within_days": 7,
        "route": "dept-zjj",
        "attributes": [
            {"code": "severity", "datatype": "singlevaluelist", "required": True,
             "description_zh": "有多严重？", "description_en": "How bad is it?",
             "values": _choices(("small", "小坑洼", "A small hole"), ("large", "大面积破损", "A large damaged area"),
                                ("danger", "有安全隐患（井盖缺失等）", "Dangerous (e.g. missing cover)"))},
        ],
    },
    {
        "code": "street-light", "group": "道路与照明", "name_zh": "路灯不亮", "name_en": "Street light out",
        "description_zh": "路灯、楼道公共照明损坏。", "description_en": "Broken street or stairwell lights.",
        "keywords": "路灯,照明,light", "accept_within_hours": 24, "resolve_within_days": 3, "route": "dept-zfj",
        "attributes": [
            {"code": "light_count", "datatype": "number", "required": False,
             "description_zh": "有几盏灯不亮？", "description_en": "How many lights are out?"},
        ],
    },
    {
        "code": "garbage", "group": "环境卫生", "name_zh": "垃圾清运不及时", "name_en": "Rubbish not collected",
        "description_zh": "垃圾堆积、垃圾桶满溢、建筑垃圾乱倒。", "description_en": "Piled-up rubbish, overflowing bins, dumped rubble.",
        "keywords": "垃圾,卫生,rubbish", "accept_within_hours": 12, "resolve_within_days": 2, "route": "dept-zfj",
        "attributes": [
            {"code": "kind", "datatype": "multivaluelist", "required": True,
             "description_zh": "是什么垃圾？（可多选）", "description_en": "What kind of rubbish? (choose all that apply)",
             "values": _choices(("household", "生活垃圾", "Household"), ("construction", "建筑垃圾", "Rubble"),
                                ("bulky", "大件垃圾", "Bulky items"))},
        ],
    },
    {
        "code": "property-repair", "group": "物业维修", "name_zh": "小区公共设施维修", "name_en": "Repair in a residential estate",
        "description_zh": "电梯、单元门、公共管道、屋面漏水等。", "description_en": "Lifts, entrance doors, shared pipes, leaking roofs.",
        "keywords": "物业,电梯,漏水,repair,lift", "accept_within_hours": 24, "resolve_within_days": 5,
        "route": "partner-shunan", "route_subdistricts": [("511302001", "partner-jiahe"), ("511302002", "partner-jiahe")],
        "attributes": [
            {"code": "facility", "datatype": "singlevaluelist", "required": True,
             "description_zh": "哪里坏了？", "description_en": "What is broken?",
             "values": _choices(("elevator", "电梯", "Lift"), ("door", "单元门/门禁", "Entrance door"),
                                ("pipe", "公共管道", "Shared pipes"), ("roof", "屋面漏水", "Leaking roof"),
                                ("other", "其他", "Other"))},
            {"code": "estate", "datatype": "string", "required": True,
             "description_zh": "小区名称和楼栋", "description_en": "Estate and building"},
        ],
    },
    {
        "code": "water-outage", "group": "供水", "name_zh": "停水或水压低", "name_en": "No water or low pressure",
        "description_zh": "突然停水、水压不足、水质浑浊。", "description_en": "Sudden outage, low pressure, cloudy water.",
        "keywords": "停水,水压,water", "accept_within_hours": 4, "resolve_within_days": 1, "route": "partner-water",
        "attributes": [
            {"code": "since", "datatype": "datetime", "required": False,
             "description_zh": "从什么时候开始？", "description_en": "Since when?"},
            {"code": "households", "datatype": "number", "required": False,
             "description_zh": "大约影响几户？", "description_en": "About how many households?"},
        ],
    },
    {
        "code": "noise", "group": "噪音", "name_zh": "噪音扰民", "name_en": "Noise nuisance",
        "description_zh": "施工、商铺、广场舞等噪音。", "description_en": "Building work, shops, square dancing.",
        "keywords": "噪音,扰民,noise", "accept_within_hours": 12, "resolve_within_days": 3, "route": "dept-zfj",
        "attributes": [
            {"code": "source", "datatype": "singlevaluelist", "required": True,
             "description_zh": "噪音来自哪里？", "description_en": "Where does the noise come from?",
             "values": _choices(("construction", "施工", "Building work"), ("business", "商铺经营", "A shop"),
                                ("square_dance", "广场舞", "Square dancing"), ("neighbour", "邻里", "Neighbours"))},
            {"code": "night", "datatype": "singlevaluelist", "required": False,
             "description_zh": "是否在夜间（22点后）？", "description_en": "At night (after 22:00)?",
             "values": _choices(("yes", "是", "Yes"), ("no", "否", "No"))},
        ],
    },
    {
        "code": "elderly-care", "group": "养老服务", "name_zh": "老人探访与照护", "name_en": "Visit or care for an elderly person",
        "description_zh": "上门探望、助餐、就医陪护、家政服务。", "description_en": "Home visits, meals, escort to hospital, housework.",
        "keywords": "老人,养老,探访,elderly", "accept_within_hours": 12, "resolve_within_days": 3, "route": "dept-mzj",
        "route_subdistricts": [("511302003", "social-xiyanghong")],
        "attributes": [
            {"code": "need", "datatype": "multivaluelist", "required": True,
             "description_zh": "需要什么帮助？（可多选）", "description_en": "What help is needed? (choose all that apply)",
             "values": _choices(("visit", "上门探望", "A visit"), ("meal", "助餐", "Meals"),
                                ("medical", "就医陪护", "Escort to hospital"), ("cleaning", "家政", "Housework"))},
        ],
    },
    {
        "code": "security-concern", "group": "治安", "name_zh": "治安与消防隐患", "name_en": "Safety or fire hazard",
        "description_zh": "消防通道堵塞、可疑情况、照明缺失等。紧急情况请拨打110或119。",
        "description_en": "Blocked fire lanes, suspicious activity, dark spots. In an emergency call 110 or 119.",
        "keywords": "治安,消防,安全,safety,fire", "accept_within_hours": 4, "resolve_within_days": 2, "route": "dept-gaj",
        "attributes": [
            {"code": "kind", "datatype": "singlevaluelist", "required": True,
             "description_zh": "是什么隐患？", "description_en": "What kind of hazard?",
             "values": _choices(("fire_lane", "消防通道堵塞", "Blocked fire lane"), ("suspicious", "可疑情况", "Suspicious activity"),
                                ("dark", "照明缺失", "Dark spot"), ("other", "其他", "Other"))},
        ],
    },
    {
        "code": "power-outage", "group": "供电", "name_zh": "停电或电力故障", "name_en": "Power cut or electrical fault",
        "description_zh": "停电、电压不稳、电线垂落或破损。", "description_en": "Power cuts, unstable voltage, sagging or damaged cables.",
        "keywords": "停电,电力,电线,power", "accept_within_hours": 4, "resolve_within_days": 1, "route": "partner-power",
        "attributes": [
            {"code": "kind", "datatype": "singlevaluelist", "required": True,
             "description_zh": "是什么情况？", "description_en": "What is the problem?",
             "values": _choices(("outage", "停电", "No power"), ("voltage", "电压不稳", "Unstable voltage"),
                                ("cable", "电线垂落或破损", "Sagging or damaged cable"))},
        ],
    },
    {
        "code": "public-health", "group": "卫生健康", "name_zh": "病媒与公共卫生", "name_en": "Pests and public health",
        "description_zh": "蚊蝇鼠蟑滋生、积水、无证行医等。", "description_en": "Mosquitoes, rats, standing water, unlicensed clinics.",
        "keywords": "蚊子,老鼠,卫生,防疫,health", "accept_within_hours": 24, "resolve_within_days": 5, "route": "dept-wjj",
        "attributes": [
            {"code": "kind", "datatype": "singlevaluelist", "required": True,
             "description_zh": "是什么问题？", "description_en": "What is the problem?",
             "values": _choices(("pests", "蚊蝇鼠蟑", "Pests"), ("water", "积水", "Standing water"),
                                ("clinic", "无证行医", "Unlicensed clinic"))},
        ],
    },
    {
        "code": "labour-rights", "group": "就业社保", "name_zh": "欠薪与社保", "name_en": "Unpaid wages and social insurance",
        "description_zh": "拖欠工资、未缴社保、劳动合同纠纷。", "description_en": "Unpaid wages, unpaid social insurance, contract disputes.",
        "keywords": "欠薪,工资,社保,wages", "accept_within_hours": 24, "resolve_within_days": 10, "route": "dept-rsj",
        "attributes": [
            {"code": "workers", "datatype": "number", "required": False,
             "description_zh": "涉及几人？", "description_en": "How many workers?"},
        ],
    },
    {
        "code": "flood-hazard", "group": "应急管理", "name_zh": "防汛与地质灾害隐患", "name_en": "Flood or landslide hazard",
        "description_zh": "内涝、堤岸或边坡开裂、危岩。紧急情况请拨打119。",
        "description_en": "Flooding, cracked embankments or slopes, loose rocks. In an emergency call 119.",
        "keywords": "内涝,防汛,滑坡,flood", "accept_within_hours": 4, "resolve_within_days": 2, "route": "dept-yjj",
        "attributes": [
            {"code": "kind", "datatype": "singlevaluelist", "required": True,
             "description_zh": "是什么隐患？", "description_en": "What kind of hazard?",
             "values": _choices(("waterlogging", "道路或小区内涝", "Flooded road or estate"),
                                ("slope", "边坡开裂", "Cracked slope"), ("embankment", "堤岸隐患", "Embankment"))},
        ],
    },
    {
        "code": "food-safety", "group": "市场监管", "name_zh": "食品安全与消费投诉", "name_en": "Food safety and consumer complaints",
        "description_zh": "过期食品、无证经营、价格欺诈。", "description_en": "Expired food, unlicensed trading, overcharging.",
        "keywords": "食品,过期,消费,food", "accept_within_hours": 24, "resolve_within_days": 7, "route": "dept-scj",
        "attributes": [
            {"code": "kind", "datatype": "singlevaluelist", "required": True,
             "description_zh": "是什么问题？", "description_en": "What is the problem?",
             "values": _choices(("expired", "过期变质食品", "Expired or spoiled food"),
                                ("unlicensed", "无证经营", "Unlicensed trading"), ("price", "价格欺诈", "Overcharging"))},
        ],
    },
    {
        "code": "school-surroundings", "group": "教育", "name_zh": "校园周边安全", "name_en": "Around a school",
        "description_zh": "上下学交通拥堵、校门口流动摊贩、校外培训乱象。",
        "description_en": "School-run traffic, street vendors at the gate, unlicensed tutoring.",
        "keywords": "学校,校园,上学,school", "accept_within_hours": 24, "resolve_within_days": 5, "route": "dept-jkj",
        "attributes": [
            {"code": "school", "datatype": "string", "required": True,
             "description_zh": "哪所学校？", "description_en": "Which school?"},
        ],
    },
]  # fmt: skip


def build_catalogue(*, district: Area) -> None:
    for order, entry in enumerate(CATALOGUE):
        definition = {k: v for k, v in entry.items() if k not in ("route", "route_subdistricts")}
        service = service_define(order=order, **definition)
        _route(service, district, entry["route"])
        for area_code, organisation_code in entry.get("route_subdistricts", ()):
            _route(service, Area.objects.get(code=area_code), organisation_code)


def _route(service: Service, area: Area, organisation_code: str) -> None:
    RoutingRule.objects.update_or_create(
        service=service, area=area, defaults={"organisation": Organisation.objects.get(code=organisation_code)}
    )


# (key, service, description, answers, the steps it has been through)
DEMO_REQUESTS = [
    ("demo-1", "street-light", "小区北门外三盏路灯晚上都不亮，老人出门很不方便。", {"light_count": "3"}, []),
    ("demo-2", "road-damage", "人民路菜市场门口有个大坑，下雨积水，已经有人摔倒。", {"severity": "danger"}, ["accept"]),
    ("demo-3", "garbage", "单元楼下垃圾桶满了两天没人清运。", {"kind": ["household"]}, ["accept", "assign"]),
    (
        "demo-4",
        "property-repair",
        "3栋2单元电梯停运一周，楼上住着几位老人。",
        {"facility": "elevator", "estate": "滨江花园3栋"},
        ["accept", "assign", "start"],
    ),
    (
        "demo-5",
        "noise",
        "晚上十点以后广场舞音响声音太大。",
        {"source": "square_dance", "night": "yes"},
        ["accept", "assign", "start", "resolve"],
    ),
    (
        "demo-6",
        "elderly-care",
        "独居老人需要每周上门探望。",
        {"need": ["visit", "meal"]},
        ["accept", "assign", "start", "resolve", "close"],
    ),
    ("demo-7", "water-outage", "早上开始停水，没有通知。", {"households": "40"}, ["reject"]),
]


def build_demo_requests(*, resident: User, grid_worker: User) -> None:
    for key, code, description, answers, path in DEMO_REQUESTS:
        if ServiceRequest.objects.filter(filed_by=resident, submission_key=key).exists():
            continue
        request = steps.request_file(
            actor=resident,
            service=Service.objects.get(code=code),
            description=description,
            answers=answers,
            grid=resident.resident_profile.household.grid,
            requester=resident,
            submission_key=key,
        )
        for step in path:
            _take(step, request, grid_worker=grid_worker, resident=resident)


def _take(step: str, request: ServiceRequest, *, grid_worker: User, resident: User) -> None:
    if step == "accept":
        steps.request_accept(request=request, actor=grid_worker, note="已受理，尽快安排处理。")
    elif step == "assign":
        steps.request_assign(request=request, actor=grid_worker, assignee=grid_worker, note="由网格员跟进。")
    elif step == "start":
        steps.request_start(request=request, actor=grid_worker, note="已到现场。")
    elif step == "resolve":
        steps.request_resolve(request=request, actor=grid_worker, note="已处理完毕，请您确认。")
    elif step == "close":
        steps.request_close(request=request, actor=resident)
        steps.request_rate(request=request, actor=resident, score=5, comment="处理很及时，谢谢！")
    elif step == "reject":
        steps.request_reject(
            request=request, actor=grid_worker, reason="属于计划停水，已在小区公告栏通知，预计下午恢复。"
        )
