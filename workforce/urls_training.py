from django.urls import path

from workforce import views_training

urlpatterns = [
    path("training/", views_training.course_list, name="training"),
    path("training/new/", views_training.course_new, name="training_new"),
    path("training/enrol/", views_training.enrol, name="training_enrol"),
    path("training/<int:course_id>/", views_training.course_detail, name="training_course"),
    path("training/<int:course_id>/edit/", views_training.course_edit, name="training_edit"),
    path("training/<int:course_id>/attendance/", views_training.attendance, name="training_attendance"),
    path("training/enrolments/<int:enrolment_id>/complete/", views_training.complete, name="training_complete"),
    path("certificates/verify/", views_training.verify, name="certificate_verify"),
]
