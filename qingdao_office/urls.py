from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from supervision.views import LogoutView

admin.site.site_header = "督查督办系统管理"
admin.site.site_title = "督查督办系统"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("supervision.urls")),
]

handler400 = "supervision.views.bad_request"
handler403 = "supervision.views.permission_denied"
