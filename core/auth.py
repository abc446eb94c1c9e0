"""Sign-in backend: the user of each request comes with its department and groups (roles),
so the page header and the access checks cost no further queries."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class Backend(ModelBackend):
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("department")
            .prefetch_related("groups")
            .filter(pk=user_id)
            .first()
        )
        return user if user and self.user_can_authenticate(user) else None
