from django.urls import path

from services import views

app_name = "services"
urlpatterns = [
    path("new/", views.service_choose, name="choose"),
    path("new/<slug:service_code>/", views.request_new, name="new"),
    path("new/photos/<uuid:photo_id>/", views.staged_photo, name="staged_photo"),
    path("mine/", views.my_requests, name="mine"),
    path("workbench/", views.workbench, name="workbench"),
    # Before "<public_id>/": "public" is no request number (those start "SQ"), but order makes it certain.
    path("public/", views.public_requests, name="public_list"),
    path("public/<str:public_id>/", views.public_request_detail, name="public_detail"),
    path("public/<str:public_id>/photos/<uuid:photo_id>/", views.public_request_photo, name="public_photo"),
    path("<str:public_id>/", views.request_detail, name="detail"),
    path("<str:public_id>/photos/<uuid:photo_id>/", views.request_photo, name="photo"),
    path("<str:public_id>/<slug:step>/", views.request_step, name="step"),
]
