"""Import pages, included by exchange/urls.py under /exchange/imports/ (names in the exchange namespace)."""

from django.urls import path

from exchange.imports import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("<uuid:public_id>/rejected-rows.csv", views.import_report, name="import_report"),
    path("<uuid:public_id>/run-again/", views.import_resume, name="import_resume"),
]
