from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "督查督办系统管理"
admin.site.site_title = "督查督办系统"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("", include("supervision.urls")),
    path("services/", include("services.urls")),
    path("emergency/", include("emergency.urls")),
    path("foodsafety/", include("foodsafety.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
