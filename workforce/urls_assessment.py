from django.urls import path

from workforce import views_assessment

urlpatterns = [
    path("assessment/", views_assessment.start, name="assessment"),
    path("assessment/weights/", views_assessment.weights, name="assessment_weights"),
    path("assessment/mine/", views_assessment.mine, name="assessment_mine"),
    path("assessment/<int:year>/", views_assessment.year, name="assessment_year"),
    path("assessment/<int:year>/<int:profile_id>/", views_assessment.detail, name="assessment_detail"),
    path("assessment/<int:year>/<int:profile_id>/rate/", views_assessment.rate, name="assessment_rate"),
]
