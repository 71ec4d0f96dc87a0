from django.contrib import admin
from django.http import HttpRequest

from tracking.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """For operators, to look up whose site key a request carried and what arrived: read only.
    An account's administrators change origins and keys on their Tracking page (tracking.rules)."""

    list_display = ["account", "site_key", "page_views_received", "last_received_at"]
    search_fields = ["account__name", "site_key"]
    readonly_fields = [
        "account",
        "site_key",
        "allowed_origins",
        "page_views_received",
        "last_received_at",
        "last_received_url",
    ]

    @admin.display(description="Origins")
    def allowed_origins(self, site: Site) -> str:
        return ", ".join(site.origins) or "None: every page is refused"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Site | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Site | None = None) -> bool:
        # A site deleted would come back with a new key and no origins: every page refused.
        return False
