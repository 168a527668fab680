"""Settings of the `vinculo` processes that test_background_tasks_rq starts: the site's own settings, read
from the environment (REDIS_URL, TASKS_USE_RQ=1), plus the test's queue on the same Redis."""

import os

from vinculo.settings import *  # noqa: F403
from vinculo.settings import RQ_QUEUES, TASKS

_queue = os.environ["VINCULO_TEST_RQ_QUEUE"]
RQ_QUEUES[_queue] = RQ_QUEUES["default"]
TASKS["default"]["QUEUES"].append(_queue)
