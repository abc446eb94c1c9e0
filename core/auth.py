"""Sign-in backend: the user of each request comes with its department and its roles, so
the page header and the access checks cost no further queries."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group

from .roles import set_roles


class Backend(ModelBackend):
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("department")
            .filter(pk=user_id)
            .first()
        )
        if not (user and self.user_can_authenticate(user)):
            return None
        # the roles from the group names (one plain query; a prefetch of the groups cost a
        # tenth of a lean page in Python, issue 17)
        set_roles(user, Group.objects.filter(user=user).values_list("name", flat=True))
        return user
