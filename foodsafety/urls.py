from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="foodsafety_home"),
    path("inspections/import/", views.inspection_import, name="foodsafety_inspections_import"),
    path("inspections/tables/", views.tables, name="foodsafety_inspections_tables"),
    path("inspections/<int:pk>/rectify/", views.rectify, name="foodsafety_rectify"),
]
for pages in views.PAGES:
    urlpatterns += pages.urls()
