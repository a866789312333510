"""Demo community workers (社区工作者): worker profiles for demo_grid and demo_community (the community's
head), written by demo_civil (民政) through workforce.services, and the yearly level run, so
demo_community's subdistrict and demo_civil find a level step waiting for them to confirm. A profile
that exists is left as it is and the run is not repeated, so a second run adds nothing."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from security.models import User
from workforce.assessment import assessment_rate, last_year
from workforce.models import Assessment, Education, Post, Qualification, Skill, WorkerProfile
from workforce.services import level_proposals_run, profile_save

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
    if created:
        # The run is audited each time it runs: only the first build runs it.
        level_proposals_run()
    build_demo_assessment()


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
