"""The read that the collect endpoint makes on every page view."""

import re

from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_delete
from django.dispatch import receiver

from tracking.models import SITE_KEY_LENGTH, Site

# A site's look-up is kept in the shared cache this long. A write of a site forgets it once it has
# committed (tracking.rules); a look-up that read the database just before that commit may keep
# the old answer after it, which then serves for at most this long.
SITE_CACHE_SECONDS = 10
# What tracking.rules.new_site_key makes: no other text is any site's key.
_SITE_KEY = re.compile(rf"[A-Za-z0-9_-]{{{SITE_KEY_LENGTH}}}")

_ORIGINS = Site._meta.get_field("origins")
_SITE_BY_KEY = "SELECT {}, {} FROM {} WHERE {} = %s".format(
    connection.ops.quote_name(Site._meta.pk.column),
    connection.ops.quote_name(_ORIGINS.column),
    connection.ops.quote_name(Site._meta.db_table),
    connection.ops.quote_name(Site._meta.get_field("site_key").column),
)


def site_by_key(site_key: str) -> tuple[int, list[str]] | None:
    """The account id and the allowed origins of the site with this key; None when no site has
    it. From the shared cache (one round trip to Redis, where the database would take two: its
    check of the kept connection, then the query), else from the database, then kept. Unknown
    keys are not kept: anyone can make up as many as they like, and the cache in the database
    would make room for them by dropping other entries, the rate limit's counters among them."""
    if not _SITE_KEY.fullmatch(site_key):
        return None
    key = _cache_key(site_key)
    kept = cache.get(key)
    if kept is not None:
        return kept[0], kept[1]
    found = _site_in_database(site_key)
    if found is not None:
        cache.set(key, list(found), SITE_CACHE_SECONDS)
    return found


def forget_sites(*site_keys: str) -> None:
    """Drop the cached look-ups of these keys (after a write of their site has committed)."""
    cache.delete_many([_cache_key(site_key) for site_key in site_keys])


@receiver(post_delete, sender=Site)
def _forget_deleted_site(sender: type[Site], instance: Site, **kwargs: object) -> None:
    # An account deleted takes its site along, and the cached look-up goes with them.
    forget_sites(instance.site_key)


def _cache_key(site_key: str) -> str:
    return f"tracking-site-{site_key}"


def _site_in_database(site_key: str) -> tuple[int, list[str]] | None:
    # One indexed query, written out once (as accounts.selectors does): the ORM takes longer to
    # compile it than the database to answer.
    with connection.cursor() as cursor:
        cursor.execute(_SITE_BY_KEY, [site_key])
        row = cursor.fetchone()
    if row is None:
        return None
    account_id, origins = row
    return account_id, _ORIGINS.from_db_value(origins, None, connection)
