from django.conf import settings
from django.db import models


class Widget(models.Model):
    """A record of another app, with a deadline and a page of its own."""

    title = models.CharField(max_length=50)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    due = models.DateField()

    def __str__(self):
        return f"部件 {self.title}"

    def get_absolute_url(self):
        return f"/plugin/widgets/{self.pk}/"
