import itertools
from decimal import Decimal

import pytest
from django.test import Client

from directory.models import Area
from services.tests.open311.support import make_key

_addresses = itertools.count(1)


@pytest.fixture
def api():
    """A client with an address of its own, so anonymous calls count against this test's budget only."""
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.31.{n // 250}.{n % 250 + 1}")


@pytest.fixture
def centres(tree):
    Area.objects.filter(pk=tree.g1.pk).update(centre_lat=Decimal("30.800000"), centre_lng=Decimal("106.100000"))
    Area.objects.filter(pk=tree.g2.pk).update(centre_lat=Decimal("30.900000"), centre_lng=Decimal("106.200000"))
    tree.g1.refresh_from_db()
    tree.g2.refresh_from_db()


@pytest.fixture
def submit_key(people, orgs, catalogue):
    return make_key(people, orgs)[1]
