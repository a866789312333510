"""The partner API, mounted at /api/v1/."""

from django.urls import include, path

from partners import api

urlpatterns = [
    path("work-orders/", api.WorkOrderListApi.as_view(), name="api_work_orders"),
    path("work-orders/<str:public_id>/", api.WorkOrderDetailApi.as_view(), name="api_work_order"),
    path("work-orders/<str:public_id>/accept/", api.WorkOrderAcceptApi.as_view(), name="api_work_order_accept"),
    path("work-orders/<str:public_id>/start/", api.WorkOrderStartApi.as_view(), name="api_work_order_start"),
    path("work-orders/<str:public_id>/resolve/", api.WorkOrderResolveApi.as_view(), name="api_work_order_resolve"),
    path("work-orders/<str:public_id>/comments/", api.WorkOrderCommentApi.as_view(), name="api_work_order_comments"),
    path("requests/", api.RequestSubmitApi.as_view(), name="api_requests"),
    path("webhooks/", include("partners.webhooks_urls")),
]
