from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    path("", views.home, name="home"),
    path("hotline/", views.order_list, name="hotline"),
    path("hotline/import/", views.order_import, name="hotline_import"),
    path("hotline/kpi/", views.kpi, name="hotline_kpi"),
    path("hotline/escalate/", views.hotline_escalate, name="hotline_escalate"),
    path("hotline/<int:pk>/", views.order_detail, name="hotline_order"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path(
        "proposals/import/",
        views.register_import,
        {"register": "proposals"},
        name="proposal_import",
    ),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path(
        "proposals/<int:pk>/<str:step>/",
        views.proposal_step,
        name="proposal_step",
    ),
    path("inquiries/", views.inquiry_list, name="inquiries"),
    path("inquiries/new/", views.inquiry_create, name="inquiry_create"),
    path(
        "inquiries/import/",
        views.register_import,
        {"register": "inquiries"},
        name="inquiry_import",
    ),
    path("inquiries/<int:pk>/", views.inquiry_detail, name="inquiry"),
]
