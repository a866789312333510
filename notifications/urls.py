from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("areas/", views.area_alert_settings, name="area_alerts"),
    path("areas/follow/", views.area_follow, name="area_follow"),
    path("areas/unfollow/", views.area_unfollow, name="area_unfollow"),
    path("<uuid:public_id>/open/", views.notification_open, name="open"),
]
