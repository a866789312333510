from django.urls import path

from partners import views

app_name = "partners"
urlpatterns = [
    path("keys/", views.api_keys, name="api_keys"),
    path("keys/<slug:prefix>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]
