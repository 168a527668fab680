"""Settings of the `vinculo worker` process that test_events starts on RQ: the site's settings read from the
environment (REDIS_URL, TASKS_USE_RQ=1), working on the test's own queue only, retrying at once."""

import os

from vinculo.settings import *  # noqa: F403
from vinculo.settings import RQ_QUEUES, TASKS, VINCULO_EVENTS

_queue = os.environ["VINCULO_TEST_RQ_QUEUE"]
RQ_QUEUES[_queue] = RQ_QUEUES["default"]
TASKS["default"]["QUEUES"] = [_queue]
VINCULO_EVENTS.update(QUEUE=_queue, ATTEMPTS=int(os.environ["VINCULO_TEST_EVENTS_ATTEMPTS"]), BACKOFF_SECONDS=0)
