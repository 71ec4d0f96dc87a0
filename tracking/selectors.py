"""The read that the collect endpoint makes on every page view."""

from django.db import connection

from tracking.models import Site

_ORIGINS = Site._meta.get_field("origins")
_SITE_BY_KEY = "SELECT {}, {} FROM {} WHERE {} = %s".format(
    connection.ops.quote_name(Site._meta.pk.column),
    connection.ops.quote_name(_ORIGINS.column),
    connection.ops.quote_name(Site._meta.db_table),
    connection.ops.quote_name(Site._meta.get_field("site_key").column),
)


def site_by_key(site_key: str) -> tuple[int, list[str]] | None:
    """The account id and the allowed origins of the site with this key; None when no site has
    it. One indexed query, written out once (as accounts.selectors does): the collect endpoint
    asks it for every page view, and the ORM takes longer to compile it than the database to
    answer."""
    with connection.cursor() as cursor:
        cursor.execute(_SITE_BY_KEY, [site_key])
        row = cursor.fetchone()
    if row is None:
        return None
    account_id, origins = row
    return account_id, _ORIGINS.from_db_value(origins, None, connection)
