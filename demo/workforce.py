"""Demo community workers (社区工作者): worker profiles for demo_grid and demo_community (the community's
head), written by demo_civil (民政) through workforce.services, and the yearly level run, so
demo_community's subdistrict and demo_civil find a level step waiting for them to confirm. A profile
that exists is left as it is and the run is not repeated, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from residents.models import ResidentProfile
from security import personal_data
from security.models import Role, RoleAssignment, User
from workforce.assessment import assessment_rate, last_year
from workforce.models import Assessment, Education, Post, Qualification, Skill, WorkerProfile
from workforce.models_visits import Visit
from workforce.services import level_proposals_run, profile_save
from workforce.visit_selectors import roster

# (username, post, level, date joined, education, qualification, skills, is head). demo_grid has served
# long enough for a step above their level, so the yearly run proposes one.
WORKERS = [
    (
        "demo_grid",
        Post.OTHER,
        2,
        date(2015, 3, 1),
        Education.ASSOCIATE,
        Qualification.ASSISTANT,
        [Skill.ELDERLY_CARE, Skill.DIGITAL],
        False,
    ),
    (
        "demo_community",
        Post.HEAD,
        10,
        date(2012, 9, 1),
        Education.BACHELOR,
        Qualification.SOCIAL_WORKER,
        [Skill.MEDIATION, Skill.PARTY_BUILDING],
        True,
    ),
]


# Training (workforce.training): a required online course for other community workers, and a session
# demo_grid attended and passed, so their profile shows a certificate and a required course not done.
DEMO_REQUIRED_COURSE = "社区工作者安全生产必修课"
DEMO_SESSION_COURSE = "矛盾纠纷调解实务（线下）"


def build_demo_training() -> None:
    """Two courses by demo_civil; demo_grid enrols on the session, demo_community (their head) records
    the attendance and a pass, which issues a certificate. Through the services, so each step is
    audited once; nothing is written when the session course exists, so a second run adds nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from workforce import training
    from workforce.models_training import Course

    if Course.objects.filter(title=DEMO_SESSION_COURSE).exists():
        return
    civil_affairs = User.objects.get(username="demo_civil")
    training.course_create(
        actor=civil_affairs,
        title=DEMO_REQUIRED_COURSE,
        kind=Course.Kind.ONLINE,
        description="安全生产、消防和应急处置的基本知识，线上学习后由社区书记录入成绩。",
        required_posts=[Post.OTHER],
        validity_months=24,
    )
    session = training.course_create(
        actor=civil_affairs,
        title=DEMO_SESSION_COURSE,
        kind=Course.Kind.SESSION,
        description="邻里纠纷调解的方法与案例，现场演练。",
        starts_at=(timezone.localtime() - timedelta(days=7)).replace(hour=14, minute=30, second=0, microsecond=0),
        place="社区党群服务中心二楼会议室",
        validity_months=36,
    )
    enrolment = training.enrol(actor=User.objects.get(username="demo_grid"), course=session)
    head = User.objects.get(username="demo_community")
    training.attendance_record(actor=head, course=session, attended_ids={enrolment.pk})
    training.completion_record(actor=head, enrolment=enrolment, score=86)


@transaction.atomic
def build_demo_workforce() -> None:
    civil_affairs = User.objects.get(username="demo_civil")
    created = False
    for username, post, level, joined, education, qualification, skills, is_head in WORKERS:
        user = User.objects.get(username=username)
        if WorkerProfile.objects.filter(user=user).exists():
            continue
        created = True
        profile_save(
            actor=civil_affairs,
            user=user,
            post=post,
            level=level,
            date_joined=joined,
            education=education,
            qualification=qualification,
            skills=skills,
            languages="普通话、四川话",
            work_phone="0817-2223" + ("301" if username == "demo_grid" else "300"),
            is_head=is_head,
        )
    build_demo_visits()
    if created:
        # The run is audited each time it runs: only the first build runs it.
        level_proposals_run()
    build_demo_assessment()
    build_demo_training()


def build_demo_assessment() -> None:
    """demo_grid's final assessment for last year, rated and finalised by their community's head
    (demo_community), so demo_grid finds it on their profile and /workforce/assessment/mine/. Once made,
    it is final and left alone: a second run adds nothing."""
    profile = WorkerProfile.objects.get(user__username="demo_grid")
    year = last_year()
    if Assessment.objects.filter(profile=profile, year=year).exists():
        return
    head = User.objects.get(username="demo_community")
    assessment_rate(actor=head, profile=profile, year=year, rating=88, finalise=True)


# What demo residents told demo_grid on some visits (encrypted like every visit's needs).
DEMO_NEEDS = [
    "",
    "",
    "",
    "",
    "需要代购常用药",
    "家里水管漏水，想请人来修",
    "希望有人陪同去医院复查",
    "想参加社区老年活动",
]


def build_demo_visits() -> None:
    """A year of demo_grid's visits to the elderly of their grid: every second resident visited on
    time, the others not since two months ago, so the rosters and the overdue lists show both.

    The rows are written directly, not through workforce.visits.visit_record: they are the past, not
    acts of someone using the portal now, so they get no audit event each (as the demo's request
    history, written in bulk), and the service rightly refuses dates before the resident entered the
    register, which for the demo residents is today. Nothing is written when the grid already has
    visits, so a second run adds nothing and records no audit event."""
    worker = User.objects.get(username="demo_grid")
    grids = RoleAssignment.objects.filter(user=worker, role=Role.GRID_WORKER).values("area_id")
    residents = list(roster(ResidentProfile.objects.filter(household__grid_id__in=grids)).order_by("pk"))
    if not residents or Visit.objects.filter(resident__in=residents).exists():
        return
    rng = random.Random(20261207)  # noqa: S311 - fixed seed: the same history each build
    today = timezone.localdate()
    visits = []
    for index, resident in enumerate(residents):
        last = today - timedelta(days=rng.randint(0, resident.interval_days - 1) if index % 2 == 0 else 60)
        day = today - timedelta(days=365)
        while day <= last:
            needs = rng.choice(DEMO_NEEDS)
            visits.append(
                Visit(
                    resident=resident,
                    visitor=worker,
                    visited_on=day,
                    mode=rng.choice([Visit.Mode.IN_PERSON, Visit.Mode.IN_PERSON, Visit.Mode.PHONE]),
                    condition=rng.choice([Visit.Condition.GOOD, Visit.Condition.GOOD, Visit.Condition.FAIR]),
                    needs_encrypted=personal_data.encrypt(needs) if needs else "",
                )
            )
            day += timedelta(days=max(1, resident.interval_days - rng.randint(0, 2)))
        visits[-1].visited_on = last
    Visit.objects.bulk_create(visits)
