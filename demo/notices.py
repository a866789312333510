"""Demo notices (通知公告): an urgent one and an everyday one from the first community's staff, one
from the district, and a property company's notice waiting for the community's approval."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from directory.models import Area
from participation.models import Notice, NoticeCategory
from participation.notices import notice_create, notice_publish, notice_submit
from security.models import User


def _outage_map() -> SimpleUploadedFile:
    """A small picture to show an attachment: the blocks without water, as coloured squares."""
    image = Image.new("RGB", (320, 200), (245, 241, 234))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        x, y = 20 + (n % 3) * 100, 20 + (n // 3) * 90
        draw.rectangle([x, y, x + 80, y + 70], fill=(183, 28, 28) if n < 3 else (11, 79, 156))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("停水范围.png", buffer.getvalue(), content_type="image/png")


def build_demo_notices(*, community: Area, grid: Area, district: Area) -> None:
    staff = User.objects.get(username="demo_community")
    if Notice.objects.filter(author=staff).exists():
        return  # seeded before
    now = timezone.now()
    urgent = notice_create(
        actor=staff,
        area=community,
        title="明日停水通知",
        body="因主管道维修，明天上午8点至下午6点本社区停水，请居民提前储水。独居老人如需送水，请联系网格员。",
        category=NoticeCategory.WATER_POWER,
        is_urgent=True,
        expires_at=now + timedelta(days=2),
        attachment=_outage_map(),
    )
    notice_publish(actor=staff, notice=urgent)
    everyday = notice_create(
        actor=User.objects.get(username="demo_grid"),
        area=grid,
        title="本周六上午义诊活动",
        body="本周六上午9点在社区广场举办免费义诊，测血压、血糖，欢迎老人参加。",
        category=NoticeCategory.HEALTH,
    )
    notice_publish(actor=everyday.author, notice=everyday)
    leader = User.objects.get(username="demo_leader")
    policy = notice_create(
        actor=leader,
        area=district,
        title="防汛防灾提示",
        body="汛期将至，请勿在河边逗留，遇险请拨打119或联系所在社区。",
        category=NoticeCategory.FLOOD_DISASTER,
    )
    notice_publish(actor=leader, notice=policy)
    partner = User.objects.get(username="demo_partner")
    waiting = notice_create(
        actor=partner,
        area=community,
        title="电梯年检通知",
        body="下周二起各栋电梯依次年检，每栋停运约2小时，请合理安排出行。",
        category=NoticeCategory.SAFETY,
        publish_at=now + timedelta(hours=1),
    )
    notice_submit(actor=partner, notice=waiting)
