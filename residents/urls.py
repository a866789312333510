from django.urls import path

from residents import views

app_name = "residents"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("me/", views.my_profile, name="my_profile"),
    path("<uuid:public_id>/", views.resident_detail, name="detail"),
    path("<uuid:public_id>/reveal/", views.resident_reveal, name="reveal"),
]
