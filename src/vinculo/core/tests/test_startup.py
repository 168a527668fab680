import gc

import pytest
from django.core.signals import request_finished

from vinculo.core import startup

# request_finished's other receivers (Django's) close the database connections.
pytestmark = pytest.mark.django_db


@pytest.fixture
def collector():
    """collect_between_requests() set up, the collector's own automatic runs off so that only the test moves
    its counts; everything put back afterwards."""
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    gc.disable()
    startup.collect_between_requests()
    yield threshold
    request_finished.disconnect(dispatch_uid="vinculo.core.startup.collect_if_due")
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()


def middle_collections_since_the_last_full_one(count):
    gc.collect()
    for _ in range(count):
        gc.collect(1)
    assert gc.get_count()[2] == count


def test_a_finished_request_starts_the_full_collection_due_after_ten_middle_ones(collector):
    middle_collections_since_the_last_full_one(9)
    request_finished.send(sender=None)
    assert gc.get_count()[2] == 9  # not due yet

    gc.collect(1)
    request_finished.send(sender=None)
    assert gc.get_count()[2] == 0  # the tenth: collected once the response was out

    middle_collections_since_the_last_full_one(11)
    request_finished.send(sender=None)
    assert gc.get_count()[2] == 0


def test_the_collector_starts_a_full_collection_on_its_own_only_after_a_hundred_middle_ones(collector):
    young, middle, full = gc.get_threshold()
    assert full == 100
    assert (young, middle) == collector[:2]  # the younger generations' thresholds left as they were
