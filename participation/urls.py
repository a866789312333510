from django.urls import path  # noqa: F401 - the helpers of issue 16 add the pages

app_name = "participation"
urlpatterns: list = []
