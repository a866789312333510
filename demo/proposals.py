"""Demo residents' proposals (居民提议) and community projects (社区项目) for the first community, where
demo_community works and demo_resident lives, made by demo.participation with the neighbours it
verified:

- the community's threshold, set by demo_community to THRESHOLD supporters;
- one proposal gathering support, which demo_resident has not supported yet (whoever signs in as them
  can); one by demo_resident that reached its threshold and awaits demo_community's answer, with an
  official comment; one accepted and in progress, with its plan and the organisation responsible,
  which demo_resident supports; one done, with what was done; and neighbours' comments;
- a cluster of similar open requests (the same service in demo_resident's grid, filed by neighbours,
  with demo_resident's own street-light request) on demo_community's 「相似诉求」 page;
- a done community project, made by demo_community from an earlier cluster of requests in the
  community's second grid: the requests were resolved by it, and their pages link to it.

Everything goes through the real services: proposals are supported, answered, put in progress and
marked done as residents and staff would. The services date everything now, so the proposals and
their comments are then moved back to when they would have happened ("as if time had passed", as
demo.participation does with polls and events); the requests keep today's date like the demo's other
requests. Each part is keyed by its title (requests by their filer's submission key), so a second run
adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from directory.models import Area, Organisation
from participation.models import CommunityProposalSetting, Proposal, ProposalCategory, ProposalComment
from participation.projects import proposal_from_requests
from participation.proposals import (
    ANSWER_DAYS,
    proposal_answer,
    proposal_comment_add,
    proposal_create,
    proposal_done,
    proposal_start,
    proposal_support,
    proposal_threshold_set,
)
from security.models import User
from services import services as steps
from services.models import Service, ServiceRequest

THRESHOLD = 5

GATHERING = "小游园增设儿童游乐设施和遮阳棚"
AWAITING = "老旧单元楼楼道加装扶手"
IN_PROGRESS = "社区开设长者助餐点"
DONE = "修复文化广场破损地砖"
PROJECT = "桂花巷雨水管网疏通改造"

# The cluster still open: (submission key, description, light count), filed by neighbours in
# demo_resident's grid, like demo_resident's own request demo-1 (demo.casework).
CLUSTER_SERVICE = "street-light"
CLUSTER_REQUESTS = [
    ("demo-cluster-1", "北门外到公交站那段路灯坏了好几天，晚上接孩子回家黑漆漆的。", "2"),
    ("demo-cluster-2", "滨江花园北门口的路灯不亮，晚上有电动车差点撞到散步的老人。", "3"),
    ("demo-cluster-3", "北门停车场边上两盏路灯一直不亮，希望尽快修好。", "2"),
]
# The earlier cluster the done project answered: filed by neighbours in the community's second grid.
PROJECT_SERVICE = "flood-hazard"
PROJECT_REQUESTS = [
    ("demo-project-1", "桂花巷口一下雨就积水，没过脚背，老人出门只能绕路。"),
    ("demo-project-2", "单元门口的雨水排不出去，积水倒灌进了车棚。"),
    ("demo-project-3", "桂花巷排水沟堵了，雨停两三天积水才退。"),
]


@dataclass
class DemoProposals:
    gathering: Proposal
    awaiting: Proposal
    in_progress: Proposal
    done: Proposal
    project: Proposal


def _as_if_passed(
    proposal: Proposal,
    *,
    created: int,
    reached: int | None = None,
    answered: int | None = None,
    done: int | None = None,
) -> None:
    """Move a proposal made just now back: created, reached its threshold, answered and done so many
    days ago, its answer due ANSWER_DAYS after it reached the threshold."""
    now = timezone.now()
    fields = {"created_at": now - timedelta(days=created)}
    if reached is not None:
        fields["threshold_reached_at"] = now - timedelta(days=reached)
        fields["answer_due_at"] = now - timedelta(days=reached) + timedelta(days=ANSWER_DAYS)
    if answered is not None:
        fields["answered_at"] = now - timedelta(days=answered)
    if done is not None:
        fields["done_at"] = now - timedelta(days=done)
    Proposal.objects.filter(pk=proposal.pk).update(**fields)


def _comment(proposal: Proposal, author: User, body: str, *, days_ago: int) -> None:
    comment = proposal_comment_add(actor=author, proposal=proposal, body=body)
    ProposalComment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def _propose(*, author: User, title: str, body: str, category: str, backers: list[User], reach: bool) -> Proposal:
    """Publish a proposal and have `backers` support it: until it reaches its threshold (`reach`), or
    to two short of it."""
    proposal = proposal_create(actor=author, title=title, body=body, category=category)
    wanted = proposal.support_threshold if reach else max(0, proposal.support_threshold - 2)
    for user in [user for user in backers if user != author][:wanted]:
        proposal = proposal_support(actor=user, proposal=proposal)
    return proposal


def build_proposals(*, staff: User, community: Area, demo_resident: User, neighbours: list[User]) -> None:
    if not CommunityProposalSetting.objects.filter(community=community).exists():
        proposal_threshold_set(actor=staff, community=community, threshold=THRESHOLD)
    committee = Organisation.objects.get(code=f"committee-{community.code}")
    mine = Proposal.objects.filter(community=community)
    if not mine.filter(title=DONE).exists():
        proposal = _propose(
            author=neighbours[2],
            title=DONE,
            body="文化广场靠近健身器材一侧有十多块地砖松动、破裂，晚上跳广场舞和散步的老人容易绊倒。"
            "建议尽快更换破损地砖，并把不平的地方找平。",
            category=ProposalCategory.FACILITIES,
            backers=neighbours[3:],
            reach=True,
        )
        proposal_answer(
            actor=staff,
            proposal=proposal,
            accepted=True,
            answer="同意。文化广场使用频繁，破损地砖存在安全隐患，社区纳入本季度小微设施维修计划。",
            plan="社区居委会委托施工队更换破损地砖约25平方米，并对沉降处找平，施工期间分区围挡，预计一周完成。",
            organisation=committee,
        )
        proposal_start(actor=staff, proposal=proposal, note="施工队已进场，广场东侧临时围挡，请居民绕行。")
        proposal_done(
            actor=staff,
            proposal=proposal,
            note="已更换破损地砖26平方米，对3处沉降处找平，并在台阶边缘加装了防滑条。感谢居民的监督！",
        )
        _as_if_passed(proposal, created=62, reached=55, answered=48, done=30)
        _comment(proposal, neighbours[3], "地砖修好了，晚上跳舞再也不怕绊倒了，谢谢社区！", days_ago=28)
    if not mine.filter(title=IN_PROGRESS).exists():
        proposal = _propose(
            author=neighbours[1],
            title=IN_PROGRESS,
            body="社区独居和高龄老人多，不少人每天只对付一顿饭。建议在党群服务中心开设长者助餐点，"
            "提供价格实惠的午餐，行动不便的老人可以送餐上门。",
            category=ProposalCategory.ACTIVITIES,
            backers=[demo_resident, *neighbours[4:]],
            reach=True,
        )
        proposal_answer(
            actor=staff,
            proposal=proposal,
            accepted=True,
            answer="同意。社区将联合社会组织开设长者助餐点，午餐对60岁以上老人优惠，80岁以上和独居老人可申请送餐上门。",
            plan="一、在党群服务中心一楼改造厨房和就餐区（约一个月）；二、由中城街道同心社会工作服务中心负责日常运营；"
            "三、试运营前就菜单和开放时间征求居民意见。",
            organisation=Organisation.objects.get(code="social-tongxin"),
        )
        proposal_start(actor=staff, proposal=proposal, note="厨房改造已开工，正在就菜单和开放时间征求居民意见。")
        _as_if_passed(proposal, created=40, reached=30, answered=20)
        _comment(
            proposal,
            staff,
            "助餐点选址已确定在党群服务中心一楼，厨房改造预计月底完工，试运营时间将在社区公告栏和本平台通知。",
            days_ago=8,
        )
        _comment(proposal, neighbours[4], "希望菜做得清淡一点，少油少盐，适合老年人。", days_ago=6)
    if not mine.filter(title=AWAITING).exists():
        proposal = _propose(
            author=demo_resident,
            title=AWAITING,
            body="我们小区的单元楼都是九十年代建的，楼道没有扶手，楼梯又陡，老年人上下楼很吃力，"
            "去年就有邻居摔倒。建议给3栋、5栋等老旧单元楼的楼道加装扶手。",
            category=ProposalCategory.SAFETY,
            backers=neighbours[5:] + neighbours[:5],
            reach=True,
        )
        _as_if_passed(proposal, created=12, reached=3)
        _comment(proposal, neighbours[5], "楼道扶手对我们老年人太重要了，强烈支持！", days_ago=5)
        _comment(
            proposal,
            staff,
            "感谢大家的支持。社区已会同物业到3栋、5栋查看楼道情况，正在测算安装费用，将在答复期限内正式答复。",
            days_ago=2,
        )
    if not mine.filter(title=GATHERING).exists():
        proposal = _propose(
            author=neighbours[0],
            title=GATHERING,
            body="小游园里只有几张石凳，孩子们放学后没地方玩。建议增设滑梯、秋千等儿童游乐设施，"
            "再搭一个遮阳棚，老人带孩子时也能在下面乘凉。",
            category=ProposalCategory.ENVIRONMENT,
            backers=neighbours[6:],
            reach=False,
        )
        _as_if_passed(proposal, created=4)
        _comment(proposal, neighbours[6], "支持！小区里孩子多，周末都只能在楼下空地跑。", days_ago=3)
        _comment(proposal, neighbours[7], "建议遮阳棚做高一点，地面铺上防摔的塑胶垫。", days_ago=2)


def _file(*, user: User, key: str, service: Service, grid: Area, description: str, answers: dict) -> ServiceRequest:
    existing = ServiceRequest.objects.filter(filed_by=user, submission_key=key).first()
    if existing is not None:
        return existing
    return steps.request_file(
        actor=user,
        service=service,
        description=description,
        answers=answers,
        grid=grid,
        requester=user,
        submission_key=key,
    )


def build_requests_and_project(*, staff: User, community: Area, demo_resident: User, neighbours: list[User]) -> None:
    first_grid = demo_resident.resident_profile.household.grid
    second_grid = community.children.exclude(pk=first_grid.pk).order_by("code").first() or first_grid
    service = Service.objects.get(code=CLUSTER_SERVICE)
    for user, (key, description, count) in zip(neighbours, CLUSTER_REQUESTS, strict=False):
        _file(
            user=user,
            key=key,
            service=service,
            grid=first_grid,
            description=description,
            answers={"light_count": count},
        )
    if Proposal.objects.filter(community=community, title=PROJECT).exists():
        return
    service = Service.objects.get(code=PROJECT_SERVICE)
    requests = [
        _file(
            user=user,
            key=key,
            service=service,
            grid=second_grid,
            description=description,
            answers={"kind": "waterlogging"},
        )
        for user, (key, description) in zip(neighbours[3:], PROJECT_REQUESTS, strict=False)
    ]
    project = proposal_from_requests(
        actor=staff,
        requests=requests,
        as_project=True,
        title=PROJECT,
        body="桂花巷一带的雨水管网老化堵塞，居民多次反映下雨积水、倒灌车棚。社区把这几件诉求合并为一个社区项目统一解决。",
        category=ProposalCategory.FACILITIES,
        plan="区住房和城乡建设局组织疏通桂花巷约300米雨水管网，更换破损管段，新增两处雨水篦子，预计两周完成。",
        organisation=Organisation.objects.get(code="dept-zjj"),
    )
    proposal_start(actor=staff, proposal=project, note="施工队已进场疏通管网，桂花巷半幅通行。")
    proposal_done(
        actor=staff,
        proposal=project,
        note="桂花巷雨水管网疏通和破损管段更换已完成，新增雨水篦子两处，经两次降雨检验未再积水。",
    )


def build_demo_proposals(*, staff: User, community: Area, demo_resident: User, neighbours: list[User]) -> DemoProposals:
    build_proposals(staff=staff, community=community, demo_resident=demo_resident, neighbours=neighbours)
    build_requests_and_project(staff=staff, community=community, demo_resident=demo_resident, neighbours=neighbours)
    mine = Proposal.objects.filter(community=community)
    return DemoProposals(
        gathering=mine.get(title=GATHERING),
        awaiting=mine.get(title=AWAITING),
        in_progress=mine.get(title=IN_PROGRESS),
        done=mine.get(title=DONE),
        project=mine.get(title=PROJECT),
    )
