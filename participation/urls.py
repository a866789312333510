from django.urls import path

from participation.views import polls

app_name = "participation"
urlpatterns = [
    # Polls (民意调查): residents vote once in secret; staff of the area run them.
    path("polls/", polls.poll_list, name="poll_list"),
    path("polls/new/", polls.poll_create, name="poll_create"),
    path("polls/<uuid:poll_id>/", polls.poll_detail, name="poll_detail"),
    path("polls/<uuid:poll_id>/edit/", polls.poll_edit, name="poll_edit"),
    path("polls/<uuid:poll_id>/close/", polls.poll_close, name="poll_close"),
    path("polls/<uuid:poll_id>/results.<str:file_format>", polls.poll_export, name="poll_export"),
]
