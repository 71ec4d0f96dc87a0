from django.db import models

from accounts.models import Account

SITE_KEY_LENGTH = 22
ORIGIN_MAX_LENGTH = 300
MAX_ORIGINS = 50


class Site(models.Model):
    """An account's website as the tracking snippet knows it: the public site key that its pages
    send page views with, and the origins allowed to send them.

    One row an account, keyed by it. The site key is public (it is in the pages' source): it
    names the account and grants nothing but adding page views from the origins listed here.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="tracking_site"
    )
    site_key = models.CharField(max_length=SITE_KEY_LENGTH, unique=True)
    origins = models.JSONField(
        default=list,
        help_text='The origins whose pages may send page views, as "https://shop.example".',
    )
    page_views_received = models.PositiveBigIntegerField(
        default=0, help_text="Page views the snippet has stored, duplicates not counted."
    )
    last_received_at = models.DateTimeField(null=True, blank=True)
    last_received_url = models.TextField("last received URL", blank=True)

    def __str__(self) -> str:
        return f"Tracking of {self.account_id}"
