"""Values kept in the shared cache and dropped, for every app server at once, when their source
changes.

Each owner (an account, a login, a token) has a version in the cache, a random string; a value is
stored with the version it was made under and is used only while that is still the owner's
version. A write changes the version within its transaction (goals.rules as the transaction
starts, the signals of users and tokens once the row is saved), and again when the transaction
commits. The second change is what makes a read that starts after the commit miss whatever a
concurrent reader made from the rows before it. The first undoes the write when the cache cannot
be told (the error ends the transaction), and drops what was kept from before for the writer's own
connection, which sees its change before the commit (as do tests, which never commit).
"""

import secrets
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from goals_admin.shared_cache import ReadAhead

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


class VersionedCache:
    def __init__(self, name: str, *, seconds: int) -> None:
        self.name = name
        self.seconds = seconds

    def get(
        self,
        owner: Hashable,
        key: Hashable,
        make: Callable[[], Any],
        read_ahead: ReadAhead | None = None,
    ) -> Any:
        """The owner's value under key, made by make() when the cache has none of this version."""
        version, value = self.lookup(owner, key, read_ahead)
        if value is MISSING:
            value = make()
            self.store(owner, key, version, value)
        return value

    def lookup(
        self, owner: Hashable, key: Hashable, read_ahead: ReadAhead | None = None
    ) -> tuple[str, Any]:
        """The owner's current version, and the value under key made in it (else MISSING);
        from what the request read ahead when that has them."""
        version_key, entry_key = self.keys(owner, key)
        found = read_ahead.get_many((version_key, entry_key)) if read_ahead else None
        if found is None:
            found = cache.get_many([version_key, entry_key])
        version = found.get(version_key) or self._start_version(version_key)
        entry = found.get(entry_key)
        if entry is not None and entry[0] == version:
            return version, entry[1]
        return version, MISSING

    def store(self, owner: Hashable, key: Hashable, version: str, value: Any) -> None:
        """Keep a value made in the given version, which lookup told."""
        cache.set(self._entry_key(owner, key), (version, value), self.seconds)

    def changed(self, owner: Hashable) -> None:
        """Forget the owner's values now and, within a transaction, again when it commits."""
        self._new_version(owner)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._new_version(owner))

    def keys(self, owner: Hashable, key: Hashable) -> tuple[str, str]:
        """The shared cache's keys that a lookup of the owner's value under key reads."""
        return self._version_key(owner), self._entry_key(owner, key)

    def _version_key(self, owner: Hashable) -> str:
        return f"{self.name}-version:{owner}"

    def _entry_key(self, owner: Hashable, key: Hashable) -> str:
        return f"{self.name}:{owner}:{key}"

    def _new_version(self, owner: Hashable) -> None:
        # A version outlives the values made under it; when it expires all the same, the owner
        # gets a new one, and the values made under the old one are never used again.
        cache.set(self._version_key(owner), secrets.token_hex(8), self.seconds * 2)

    def _start_version(self, version_key: str) -> str:
        version = secrets.token_hex(8)
        if cache.add(version_key, version, self.seconds * 2):
            return version
        # Another server started one first: share it, so both fill the same entries.
        return cache.get(version_key) or version
