from django.urls import path

from participation.views import polls, reach

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
    # Polls (民意调查): residents vote once in secret; staff of the area run them.
    path("polls/", polls.poll_list, name="poll_list"),
    path("polls/new/", polls.poll_create, name="poll_create"),
    path("polls/<uuid:poll_id>/", polls.poll_detail, name="poll_detail"),
    path("polls/<uuid:poll_id>/edit/", polls.poll_edit, name="poll_edit"),
    path("polls/<uuid:poll_id>/close/", polls.poll_close, name="poll_close"),
    path("polls/<uuid:poll_id>/results.<str:file_format>", polls.poll_export, name="poll_export"),
]
