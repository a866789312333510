"""The portal's URLs plus the benchmark's floor: `POST /bench/floor/` inserts one row.

The floor is the least a Django view that writes can cost here: the same gunicorn workers,
middleware, database and connection handling (CONN_MAX_AGE) as the portal, and one INSERT in a
transaction of its own (autocommit). The table is not a model: `bench/open311_post.py` creates it.
"""

from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "bench_floor"


@csrf_exempt
def floor_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608 - a constant
            [request.POST.get("body", "")],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [
    path("bench/floor/", floor_view),
    path("", include("portal.urls")),
]
