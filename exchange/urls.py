from django.urls import include, path

from exchange import api, views

app_name = "exchange"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/<slug:dataset>/", views.agreement_new, name="agreement_new"),
    path("agreements/<uuid:public_id>/", views.agreement_detail, name="agreement_detail"),
    path(
        "agreements/<uuid:public_id>/<slug:action>/",
        views.agreement_action,
        name="agreement_action",
    ),
    path("log/", views.message_log, name="message_log"),
    path("my-data/", views.my_data, name="my_data"),
    # Imports pushed by provider departments (exchange/imports/, names in this namespace).
    path("imports/", include("exchange.imports.urls")),
    # Departments' systems, with an API key.
    path("api/v1/exchanges/", api.EntryListApi.as_view(), name="api_entries"),
    path("api/v1/exchanges/<uuid:job>/payload/", api.PayloadApi.as_view(), name="api_payload"),
    path("api/v1/agreements/<uuid:agreement>/runs/", api.RunApi.as_view(), name="api_run"),
    path("api/v1/imports/", include("exchange.imports.api_urls")),
]
