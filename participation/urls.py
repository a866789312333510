from django.urls import path

from participation.views import events, moderation, notices, polls, projects, proposals, reach
from participation.views import volunteering as volunteer

app_name = "participation"
urlpatterns = [
    # Notices (通知公告): "manage/" and "approvals/" are no UUIDs, so they never reach the notice pages.
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/manage/", notices.manage_list, name="notice_manage_list"),
    path("notices/manage/new/", notices.manage_new, name="notice_new"),
    path("notices/manage/<uuid:public_id>/", notices.manage_detail, name="notice_manage"),
    path("notices/manage/<uuid:public_id>/withdraw/", notices.manage_withdraw, name="notice_withdraw"),
    path("notices/manage/<uuid:public_id>/reach/", reach.reach, name="notice_reach"),
    path("notices/elderly/", reach.elderly_list, name="notice_elderly"),
    path(
        "notices/elderly/<uuid:notice_public_id>/<uuid:resident_public_id>/informed/",
        reach.elderly_informed,
        name="notice_elderly_informed",
    ),
    path("notices/approvals/", notices.approval_queue, name="notice_approvals"),
    path("notices/approvals/<uuid:public_id>/", notices.approval_detail, name="notice_approval"),
    path("notices/<uuid:public_id>/", notices.notice_detail, name="notice_detail"),
    path("notices/<uuid:public_id>/attachment/", notices.notice_attachment, name="notice_attachment"),
    # Moderation: residents report, the staff over the area decide.
    path("report/request/<str:public_id>/", moderation.report_request, name="report_request"),
    path("report/comment/<str:public_id>/<int:event_id>/", moderation.report_comment, name="report_comment"),
    path("report/notice/<uuid:public_id>/", moderation.report_notice, name="report_notice"),
    path("report/proposal/<uuid:public_id>/", moderation.report_proposal, name="report_proposal"),
    path(
        "report/proposal/<uuid:public_id>/comments/<uuid:comment_id>/",
        moderation.report_proposal_comment,
        name="report_proposal_comment",
    ),
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/photos/<str:public_id>/", moderation.photos, name="moderation_photos"),
    path("moderation/<uuid:public_id>/", moderation.decide, name="moderation_decide"),
    # Meetings and events (议事会、社区活动): residents sign up; staff organise under "manage/".
    path("events/", events.event_list, name="event_list"),
    path("events/manage/", events.manage_list, name="event_manage_list"),
    path("events/manage/new/", events.manage_new, name="event_new"),
    path("events/manage/<uuid:public_id>/", events.manage_detail, name="event_manage"),
    path("events/manage/<uuid:public_id>/edit/", events.manage_edit, name="event_edit"),
    path("events/manage/<uuid:public_id>/cancel/", events.manage_cancel, name="event_cancel"),
    path("events/manage/<uuid:public_id>/minutes/", events.manage_minutes, name="event_minutes"),
    path("events/<uuid:public_id>/", events.event_detail, name="event_detail"),
    path("events/<uuid:public_id>/signup/", events.event_signup, name="event_signup"),
    path("events/<uuid:public_id>/cancel-signup/", events.event_signup_cancel, name="event_signup_cancel"),
    # Polls (民意调查): residents vote once in secret; staff of the area run them.
    path("polls/", polls.poll_list, name="poll_list"),
    path("polls/new/", polls.poll_create, name="poll_create"),
    path("polls/<uuid:poll_id>/", polls.poll_detail, name="poll_detail"),
    path("polls/<uuid:poll_id>/edit/", polls.poll_edit, name="poll_edit"),
    path("polls/<uuid:poll_id>/close/", polls.poll_close, name="poll_close"),
    path("polls/<uuid:poll_id>/results.<str:file_format>", polls.poll_export, name="poll_export"),
    # Residents' proposals (居民提议): residents propose and support; the community's staff answer.
    path("proposals/", proposals.proposal_list, name="proposal_list"),
    path("proposals/new/", proposals.proposal_new, name="proposal_new"),
    path("proposals/threshold/", proposals.proposal_threshold, name="proposal_threshold"),
    path("proposals/<uuid:public_id>/", proposals.proposal_detail, name="proposal_detail"),
    path("proposals/<uuid:public_id>/support/", proposals.proposal_support, name="proposal_support"),
    path("proposals/<uuid:public_id>/withdraw/", proposals.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<uuid:public_id>/manage/", proposals.proposal_manage, name="proposal_manage"),
    path("proposals/<uuid:public_id>/comments/", proposals.proposal_comment, name="proposal_comment"),
    path("proposals/<uuid:public_id>/follow/", proposals.proposal_follow, name="proposal_follow"),
    path("proposals/<uuid:public_id>/unfollow/", proposals.proposal_unfollow, name="proposal_unfollow"),
    path("proposals/<uuid:public_id>/photos/<uuid:photo_id>/", proposals.proposal_photo, name="proposal_photo"),
    # Requests that become projects: community staff turn clusters of similar requests into one.
    path("projects/clusters/", projects.cluster_list, name="project_clusters"),
    path("projects/new/", projects.project_new, name="project_new"),
    # Requests that become projects: community staff turn clusters of similar requests into one.
    path("projects/clusters/", projects.cluster_list, name="project_clusters"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/<uuid:public_id>/requests/", projects.project_requests, name="project_requests"),
    # Volunteering and points (志愿服务、积分).
    path("volunteering/", volunteer.activity_list, name="volunteer_list"),
    path("volunteering/mine/", volunteer.my_volunteering, name="volunteer_mine"),
    path("volunteering/manage/", volunteer.manage_activities, name="volunteer_manage"),
    path("volunteering/manage/new/", volunteer.manage_new, name="volunteer_new"),
    path("volunteering/hours/", volunteer.hours_report, name="volunteer_hours"),
    path("volunteering/<uuid:public_id>/", volunteer.activity_detail, name="volunteer_activity"),
    path("volunteering/<uuid:public_id>/sign-up/", volunteer.sign_up, name="volunteer_sign_up"),
    path("volunteering/<uuid:public_id>/cancel-sign-up/", volunteer.sign_up_cancel, name="volunteer_sign_up_cancel"),
    path("volunteering/<uuid:public_id>/cancel/", volunteer.manage_cancel, name="volunteer_cancel"),
    path("volunteering/signups/<uuid:public_id>/hours/", volunteer.confirm_hours, name="volunteer_hours_confirm"),
    path("volunteering/signups/<uuid:public_id>/adjust/", volunteer.adjust_points, name="volunteer_points_adjust"),
    path("points/", volunteer.my_points, name="my_points"),
    path("points/items/<uuid:public_id>/redeem/", volunteer.redeem, name="points_redeem"),
    path("points/manage/", volunteer.manage_items, name="points_manage"),
    path("points/manage/items/<uuid:public_id>/", volunteer.manage_item, name="points_item"),
    path("points/manage/redemptions/<uuid:public_id>/hand-over/", volunteer.hand_over, name="points_hand_over"),
]
