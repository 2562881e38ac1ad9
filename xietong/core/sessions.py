"""Database sessions read with one plain query.

The same table, the same signed and expiring session data as Django's database engine
(``django.contrib.sessions.backends.db``); only the read on every request skips the ORM's
query building, which cost more than the query itself on the hot pages (bench/README.md).
Writes, expiry and key rotation are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DBStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        # Only the data is read here; load() decodes it (and refuses tampered data).
        return model(session_key=self.session_key, session_data=row[0])
