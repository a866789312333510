"""Demo participation (居民参与) for the first community, where demo_community works and
demo_resident lives: residents' proposals and community projects (demo.proposals); an open poll whose
results show live, a closed one with its results, and an open poll about the proposal in progress; an
upcoming community activity and a past residents' council meeting with its minutes, which name the
proposals it discussed; an upcoming and a past volunteer activity (demo_resident's hours confirmed, so
they have points); an upcoming event and volunteer activity organised by a social organisation, posted
by its operator demo_social; and two items to redeem points for.

Everything is made through the real services. A poll takes ballots only while open, minutes are
published and hours confirmed only after the start, and none of them can be created in the past; so,
as the participation tests do, the past ones are made for a time just ahead and then have their
schedule moved back ("as if time had passed") before the step that needs the past.

Voting shows results only from 10 ballots (poll_results.MIN_BALLOTS_SHOWN), and the first community's
register has fewer verified residents than that: demo_community verifies neighbours through the
residents' in-person verification (accounts demo_resident_<register id>, no password, as the history
names them), registering a few more residents at the counter when the register runs out.

Each part is keyed by its title, and residents already verified count as neighbours, so a second run
adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from demo.proposals import build_demo_proposals
from directory.models import Area, Organisation
from participation.events import event_create, event_minutes_publish, event_signup
from participation.models import (
    Event,
    EventKind,
    Poll,
    PollQuestionKind,
    PollResultsShown,
    PollVoter,
    Proposal,
    RedemptionItem,
    VolunteerActivity,
    VolunteerSignup,
)
from participation.points import redemption_item_create
from participation.polls import ballot_cast, poll_create, poll_question_add
from participation.volunteering import volunteer_activity_create, volunteer_hours_confirm, volunteer_sign_up
from residents.models import ResidentProfile
from residents.services import resident_register, verification_approve, verification_request_in_person
from security import personal_data
from security.models import User
from security.services import user_create

NEIGHBOURS = 10
# Registered at the counter when the community's register has too few residents: (name, ID-card number
# without its check character).
COUNTER_RESIDENTS = [
    ("何春燕", "51130219780312046"),
    ("罗德明", "51130219620827031"),
    ("郭晓琳", "51130219910605082"),
    ("林永福", "51130219550119015"),
]

OPEN_POLL = "滨江小区加装电梯及停车改造意见征集"
CLOSED_POLL = "社区广场舞活动时间调整投票"
PROPOSAL_POLL = "长者助餐点菜单和开放时间意见征集"
UPCOMING_EVENT = "“邻里一家亲”包饺子活动"
PAST_MEETING = "居民议事会：老旧小区改造和广场舞噪音"
UPCOMING_VOLUNTEERING = "嘉陵江滨江步道清洁志愿服务"
PAST_VOLUNTEERING = "独居老人走访慰问"
# Posted by demo_social, the operator of a social organisation (demo.district.SOCIAL_ORGANISATIONS).
SOCIAL_EVENT = "长者智能手机课堂：学用视频通话和移动支付"
SOCIAL_VOLUNTEERING = "陪伴独居老人读报聊天"
ITEMS = [
    ("环保购物袋", "社区定制帆布袋，可在社区居委会领取。", 10, 50),
    ("洗衣液（2kg）", "凭兑换码到社区居委会服务台领取。", 30, 20),
]


def _as_if_passed(queryset: QuerySet, *, starts_at: datetime, ends_at: datetime, start="starts_at", end="ends_at"):
    """Move a schedule made just ahead back to when it would have taken place."""
    queryset.update(**{start: starts_at, end: ends_at})


def _id_card(body: str) -> str:
    return body + personal_data.id_card_check_character(body)


def _verified_neighbours(*, staff: User, community: Area, demo_resident: User) -> list[User]:
    """Ten verified residents of the community besides demo_resident: those already verified (a demo
    with its history gives every registered resident an account), then more verified in person by
    staff, registering residents at the counter when the register runs out."""
    in_community = ResidentProfile.objects.filter(household__grid__path__startswith=community.path).order_by("pk")
    missing = NEIGHBOURS + 1 - in_community.count()
    for name, body in COUNTER_RESIDENTS:
        if missing <= 0:
            break
        id_card = _id_card(body)
        if ResidentProfile.objects.filter(id_card_hash=personal_data.lookup_hash("id_card", id_card)).exists():
            continue
        resident_register(
            actor=staff,
            household=in_community.filter(user=demo_resident).get().household,
            full_name=name,
            id_card_number=id_card,
            consent_given=True,
        )
        missing -= 1
    linked = list(in_community.filter(user__isnull=False).exclude(user=demo_resident).select_related("user"))
    neighbours = [profile.user for profile in linked[:NEIGHBOURS]]
    for profile in in_community.filter(user__isnull=True)[: NEIGHBOURS - len(neighbours)]:
        # The same user names as the history's accounts of registered residents (demo.history.world).
        user = user_create(username=f"demo_resident_{profile.pk}", password=None, first_name=profile.full_name)
        verification = verification_request_in_person(
            user=user, community=community, note="本人持身份证到社区居委会核验。"
        )
        verification_approve(actor=staff, verification=verification, profile=profile)
        neighbours.append(user)
    return neighbours


def _answers(poll: Poll, picks: list) -> dict:
    """Answers by position: an option index for single choice, a tuple of them for multiple, text for free text."""
    answers = {}
    for question, pick in zip(poll.questions.prefetch_related("options").order_by("position"), picks, strict=True):
        options = [option.pk for option in question.options.all()]
        if question.kind == PollQuestionKind.TEXT:
            if pick:
                answers[question.pk] = pick
        elif question.kind == PollQuestionKind.SINGLE:
            answers[question.pk] = [options[pick]]
        else:
            answers[question.pk] = [options[index] for index in pick]
    return answers


OPEN_BALLOTS = [
    (0, (0, 1), "希望电梯费用分摊方案早点公示。"),
    (0, (1,), ""),
    (1, (0, 2), "低楼层住户也应听取意见。"),
    (0, (0,), ""),
    (0, (1, 2), "停车位请优先考虑老年人和残疾人。"),
    (2, (0,), ""),
    (0, (0, 1), ""),
    (1, (2,), "施工时间避开午休。"),
    (0, (1,), ""),
    (0, (0, 2), ""),
]
CLOSED_BALLOTS = [
    (1, (0, 1), "音响音量请控制在60分贝以内。"),
    (1, (0,), ""),
    (0, (1,), ""),
    (1, (0, 2), "希望周末可以延长半小时。"),
    (2, (0,), ""),
    (1, (1, 2), ""),
    (1, (0,), "远离居民楼一侧跳。"),
    (0, (0, 1), ""),
    (1, (2,), ""),
    (1, (0,), ""),
    (2, (1,), "支持调整，早上太早影响休息。"),
]


def _poll(
    *,
    staff: User,
    community: Area,
    title: str,
    description: str,
    results_shown: str,
    questions,
    proposal: Proposal | None = None,
) -> Poll:
    now = timezone.now()
    poll = poll_create(
        actor=staff,
        area=community,
        title=title,
        description=description,
        opens_at=now + timedelta(minutes=1),
        closes_at=now + timedelta(days=1),
        results_shown=results_shown,
        proposal=proposal,
    )
    for kind, text, options, max_choices in questions:
        poll_question_add(actor=staff, poll=poll, kind=kind, text=text, options=options, max_choices=max_choices)
    return poll


def _vote(poll: Poll, voters: list[User], ballots: list) -> None:
    for voter, picks in zip(voters, ballots, strict=False):
        ballot_cast(user=voter, poll=poll, answers=_answers(poll, list(picks)))


PROPOSAL_BALLOTS = [
    (0, (0, 2), "希望每周有两天做面食。"),
    (1, (1,), ""),
    (0, (0, 1), ""),
    (0, (2,), "送餐上门请优先照顾独居老人。"),
]


def build_polls(*, staff: User, community: Area, demo_resident: User, neighbours: list[User], about: Proposal) -> None:
    now = timezone.now()
    if not Poll.objects.filter(area=community, title=PROPOSAL_POLL).exists():
        poll = _poll(
            staff=staff,
            community=community,
            title=PROPOSAL_POLL,
            description="居民提议的长者助餐点即将试运营，请大家就菜单和开放时间提出意见。",
            results_shown=PollResultsShown.AFTER_CLOSING,
            questions=[
                (PollQuestionKind.SINGLE, "您希望助餐点午餐供应时间是？", ["11:00—12:30", "11:30—13:00"], None),
                (PollQuestionKind.MULTIPLE, "您最需要哪些服务？", ["堂食", "送餐上门", "代购早餐"], None),
                (PollQuestionKind.TEXT, "对菜单的建议", [], None),
            ],
            proposal=about,
        )
        _as_if_passed(
            Poll.objects.filter(pk=poll.pk),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=10),
            start="opens_at",
            end="closes_at",
        )
        # demo_resident has not voted yet.
        _vote(poll, neighbours[4:], PROPOSAL_BALLOTS)
    if not Poll.objects.filter(area=community, title=OPEN_POLL).exists():
        poll = _poll(
            staff=staff,
            community=community,
            title=OPEN_POLL,
            description="滨江小区多为上世纪九十年代老楼，部分居民提出加装电梯、规范停车。"
            "社区居委会征集大家意见，结果将作为申报老旧小区改造项目的依据。",
            results_shown=PollResultsShown.LIVE,
            questions=[
                (PollQuestionKind.SINGLE, "您是否支持本单元加装电梯？", ["支持", "不支持", "视费用分摊而定"], None),
                (
                    PollQuestionKind.MULTIPLE,
                    "您最希望改造哪些停车设施？（最多选两项）",
                    ["划定机动车停车位", "增设电动自行车充电桩", "加装车棚"],
                    2,
                ),
                (PollQuestionKind.TEXT, "其他意见和建议", [], None),
            ],
        )
        _as_if_passed(
            Poll.objects.filter(pk=poll.pk),
            starts_at=now - timedelta(days=2),
            ends_at=now + timedelta(days=12),
            start="opens_at",
            end="closes_at",
        )
        # demo_resident has not voted yet: whoever signs in as them can.
        _vote(poll, neighbours, OPEN_BALLOTS)
    if not Poll.objects.filter(area=community, title=CLOSED_POLL).exists():
        poll = _poll(
            staff=staff,
            community=community,
            title=CLOSED_POLL,
            description="有居民反映早上广场舞音乐影响休息，社区就活动时间调整征求意见。",
            results_shown=PollResultsShown.AFTER_CLOSING,
            questions=[
                (
                    PollQuestionKind.SINGLE,
                    "您希望广场舞的活动时间是？",
                    ["维持现状（早7:00—8:00，晚7:00—9:00）", "只保留晚上7:00—8:30", "早上改为8:00—9:00"],
                    None,
                ),
                (
                    PollQuestionKind.MULTIPLE,
                    "您认为还需要哪些管理措施？",
                    ["限制音响音量", "固定活动区域", "由志愿者轮流值守"],
                    None,
                ),
                (PollQuestionKind.TEXT, "其他意见", [], None),
            ],
        )
        opened, closed = now - timedelta(days=20), now - timedelta(days=6)
        _as_if_passed(
            Poll.objects.filter(pk=poll.pk),
            starts_at=opened,
            ends_at=now + timedelta(hours=1),
            start="opens_at",
            end="closes_at",
        )
        _vote(poll, [demo_resident, *neighbours], CLOSED_BALLOTS)
        _as_if_passed(
            Poll.objects.filter(pk=poll.pk), starts_at=opened, ends_at=closed, start="opens_at", end="closes_at"
        )
        # Who voted, when: within the time the poll was open (the ballots themselves carry no time).
        for index, voter in enumerate(PollVoter.objects.filter(poll=poll).order_by("id")):
            PollVoter.objects.filter(pk=voter.pk).update(voted_at=opened + timedelta(days=1, hours=index * 7))


def _day(days: int, hour: int, minute: int = 0) -> datetime:
    """A time `days` from today, local time."""
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def build_events(
    *, staff: User, community: Area, demo_resident: User, neighbours: list[User], discussed: list[Proposal]
) -> None:
    committee = Organisation.objects.filter(code=f"committee-{community.code}").first()
    if not Event.objects.filter(area=community, title=UPCOMING_EVENT).exists():
        event = event_create(
            actor=staff,
            area=community,
            kind=EventKind.ACTIVITY,
            title=UPCOMING_EVENT,
            description="社区邀请居民一起包饺子、聊家常，独居老人优先报名。面粉、馅料由社区准备，请自带围裙。",
            starts_at=_day(6, 9, 30),
            ends_at=_day(6, 11, 30),
            place="大东街社区党群服务中心二楼活动室",
            capacity=30,
            organiser=committee,
        )
        for user in [demo_resident, *neighbours[:4]]:
            event_signup(user=user, event=event)
    if not Event.objects.filter(area=community, title=PAST_MEETING).exists():
        start = timezone.now() + timedelta(hours=1)
        meeting = event_create(
            actor=staff,
            area=community,
            kind=EventKind.COUNCIL,
            title=PAST_MEETING,
            description="议题：一、滨江小区老旧改造进度；二、广场舞噪音问题；三、独居老人关爱安排。欢迎居民代表参加。",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="大东街社区居委会会议室",
            capacity=40,
            organiser=committee,
        )
        for user in neighbours[4:9]:
            event_signup(user=user, event=meeting)
        _as_if_passed(Event.objects.filter(pk=meeting.pk), starts_at=_day(-9, 19), ends_at=_day(-9, 21))
        event_minutes_publish(
            actor=staff,
            event=meeting,
            minutes="出席：社区居委会成员5人，居民代表18人，网格员2人。\n"
            "一、社区通报滨江小区老旧改造进度：外墙和管网改造已完成设计，计划分批开工。\n"
            "二、居民反映早上广场舞音乐扰民，会议同意发起线上投票，征求调整活动时间的意见。\n"
            "三、独居老人关爱：网格员每周上门走访一次，志愿者结对帮扶。\n"
            "四、居民提议“社区开设长者助餐点”：社区通报厨房改造进度，居民代表建议试运营前征求菜单意见。",
            outcomes="1. 广场舞活动时间调整投票已发布，结果在社区公示；\n"
            "2. 组织志愿者开展独居老人走访慰问；\n"
            "3. 长者助餐点试运营前发起菜单和开放时间意见征集；\n"
            "4. 下次议事会下季度召开。",
            proposals=discussed,
        )


def build_volunteering(*, staff: User, community: Area, demo_resident: User, neighbours: list[User]) -> None:
    if not VolunteerActivity.objects.filter(area=community, title=UPCOMING_VOLUNTEERING).exists():
        activity = volunteer_activity_create(
            actor=staff,
            area=community,
            title=UPCOMING_VOLUNTEERING,
            description="清理滨江步道沿线垃圾和小广告，社区提供手套、夹子和垃圾袋。",
            place="滨江大道北湖路口志愿服务站",
            starts_at=_day(4, 9),
            ends_at=_day(4, 11),
            slots=20,
            points_per_hour=10,
        )
        for user in neighbours[:3]:
            volunteer_sign_up(user=user, activity=activity)
    if not VolunteerActivity.objects.filter(area=community, title=PAST_VOLUNTEERING).exists():
        start = timezone.now() + timedelta(hours=1)
        activity = volunteer_activity_create(
            actor=staff,
            area=community,
            title=PAST_VOLUNTEERING,
            description="与网格员一起走访辖区独居老人，送去米油，检查燃气和用电安全。",
            place="大东街社区居委会门口集合",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            slots=10,
            points_per_hour=10,
        )
        for user in [demo_resident, *neighbours[5:8]]:
            volunteer_sign_up(user=user, activity=activity)
        _as_if_passed(VolunteerActivity.objects.filter(pk=activity.pk), starts_at=_day(-5, 14), ends_at=_day(-5, 17))
        for signup, hours in zip(
            VolunteerSignup.objects.filter(activity=activity).order_by("id"), ["2.5", "3", "2", "3"], strict=True
        ):
            volunteer_hours_confirm(actor=staff, signup=signup, hours=hours)


def build_social_organisation(*, community: Area, neighbours: list[User]) -> None:
    """An event and a volunteer activity posted by demo_social as their social organisation."""
    operator = User.objects.get(username="demo_social")
    if not Event.objects.filter(area=community, title=SOCIAL_EVENT).exists():
        event = event_create(
            actor=operator,
            area=community,
            kind=EventKind.ACTIVITY,
            title=SOCIAL_EVENT,
            description="社工手把手教老年朋友用智能手机：和子女视频通话、扫码付款、识别诈骗电话。请带上自己的手机。",
            starts_at=_day(8, 14, 30),
            ends_at=_day(8, 16, 30),
            place="大东街社区党群服务中心一楼多功能室",
            capacity=20,
        )
        for user in neighbours[1:3]:
            event_signup(user=user, event=event)
    if not VolunteerActivity.objects.filter(area=community, title=SOCIAL_VOLUNTEERING).exists():
        activity = volunteer_activity_create(
            actor=operator,
            area=community,
            title=SOCIAL_VOLUNTEERING,
            description="两人一组上门陪独居老人读报、聊天，了解老人近况，有需要的及时告诉社工。",
            place="大东街社区党群服务中心一楼集合",
            starts_at=_day(10, 9),
            ends_at=_day(10, 11),
            slots=8,
            points_per_hour=10,
        )
        for user in neighbours[8:10]:
            volunteer_sign_up(user=user, activity=activity)


def build_redemption_items(*, staff: User, community: Area) -> None:
    for name, description, points_cost, stock in ITEMS:
        if not RedemptionItem.objects.filter(community=community, name=name).exists():
            redemption_item_create(
                actor=staff,
                community=community,
                name=name,
                description=description,
                points_cost=points_cost,
                stock=stock,
            )


def build_demo_participation(*, community: Area) -> None:
    staff = User.objects.get(username="demo_community")
    demo_resident = User.objects.get(username="demo_resident")
    neighbours = _verified_neighbours(staff=staff, community=community, demo_resident=demo_resident)
    proposals = build_demo_proposals(
        staff=staff, community=community, demo_resident=demo_resident, neighbours=neighbours
    )
    build_polls(
        staff=staff,
        community=community,
        demo_resident=demo_resident,
        neighbours=neighbours,
        about=proposals.in_progress,
    )
    build_events(
        staff=staff,
        community=community,
        demo_resident=demo_resident,
        neighbours=neighbours,
        discussed=[proposals.in_progress],
    )
    build_volunteering(staff=staff, community=community, demo_resident=demo_resident, neighbours=neighbours)
    build_social_organisation(community=community, neighbours=neighbours)
    build_redemption_items(staff=staff, community=community)
