"""Bench-only middleware (installed by bench/settings.py, never by the product's settings)."""

from __future__ import annotations

from django.db import connection

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    """Counts the SQL statements run while answering a request and reports the count in the
    ``X-Bench-Queries`` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response[HEADER] = str(count)
        return response
