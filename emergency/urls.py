from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="emergency_home"),
    path("supplies/import/", views.supply_import, name="emergency_supplies_import"),
    path(
        "drills/<int:pk>/problems/<int:problem_id>/close/",
        views.problem_close,
        name="emergency_problem_close",
    ),
]
for pages in views.PAGES:
    urlpatterns += pages.urls()
