from django.urls import path

from participation.views import moderation, polls, reach

app_name = "participation"
urlpatterns = [
    # Reach of a notice (its publisher and area staff) and the living-alone elderly not yet reached.
    path("notices/manage/<uuid:public_id>/reach/", reach.reach, name="notice_reach"),
    path("notices/elderly/", reach.elderly_list, name="notice_elderly"),
    path(
        "notices/elderly/<uuid:notice_public_id>/<uuid:resident_public_id>/informed/",
        reach.elderly_informed,
        name="notice_elderly_informed",
    ),
    # Moderation: residents report, the staff over the area decide.
    path("report/request/<str:public_id>/", moderation.report_request, name="report_request"),
    path("report/comment/<str:public_id>/<int:event_id>/", moderation.report_comment, name="report_comment"),
    path("report/notice/<uuid:public_id>/", moderation.report_notice, name="report_notice"),
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/photos/<str:public_id>/", moderation.photos, name="moderation_photos"),
    path("moderation/<uuid:public_id>/", moderation.decide, name="moderation_decide"),
    # Polls (民意调查): residents vote once in secret; staff of the area run them.
    path("polls/", polls.poll_list, name="poll_list"),
    path("polls/new/", polls.poll_create, name="poll_create"),
    path("polls/<uuid:poll_id>/", polls.poll_detail, name="poll_detail"),
    path("polls/<uuid:poll_id>/edit/", polls.poll_edit, name="poll_edit"),
    path("polls/<uuid:poll_id>/close/", polls.poll_close, name="poll_close"),
    path("polls/<uuid:poll_id>/results.<str:file_format>", polls.poll_export, name="poll_export"),
]
