"""Background tasks on RQ, as the README promises: `REDIS_URL` + `TASKS_USE_RQ=1` select
django_tasks_rq's backend, and a task enqueued there is run by `vinculo rqworker` against the
machine's Redis (127.0.0.1:6379). Skipped only when Redis is unreachable outside CI."""

import os
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django_tasks import TaskResultStatus, task

from vinculo.core.search import fold
from vinculo.core.tests.conftest import REDIS_URL


@task()
def fold_later(text: str) -> str:
    return fold(text)


@pytest.fixture
def rq_queue(redis):
    """A queue of its own (its worker is named after it); its keys and its jobs' are removed after the test."""
    queue = SimpleNamespace(name=f"vinculo-test-{uuid.uuid4().hex[:12]}", job_ids=[])
    yield queue
    for pattern in [f"*{queue.name}*", *(f"*{job_id}*" for job_id in queue.job_ids)]:
        for key in redis.scan_iter(pattern):
            redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{queue.name}")


def vinculo(*args: str, queue_name: str | None = None) -> subprocess.CompletedProcess:
    """`vinculo <args>` in a fresh process configured the way the README says (and given `queue_name`)."""
    env = {**os.environ, "REDIS_URL": REDIS_URL, "TASKS_USE_RQ": "1", "DJANGO_SETTINGS_MODULE": "vinculo.settings"}
    if queue_name:
        env.update(DJANGO_SETTINGS_MODULE="vinculo.core.tests.rq_worker_settings", VINCULO_TEST_RQ_QUEUE=queue_name)
    return subprocess.run([sys.executable, "-m", "vinculo", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_redis_url_and_tasks_use_rq_select_the_rq_backend_and_pass_the_system_checks():
    backend = "from django_tasks import task_backends; print(task_backends['default'].__class__.__name__)"
    shown = vinculo("shell", "-v0", "-c", backend)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "RQBackend"
    checked = vinculo("check")
    assert checked.returncode == 0, checked.stderr


def test_a_task_enqueued_on_rq_is_run_by_a_burst_worker_and_its_result_read_back(redis, rq_queue):
    rq_settings = {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [rq_queue.name]}},
        # django_tasks_rq reads results through the "default" connection.
        "RQ_QUEUES": {"default": {"URL": REDIS_URL}, rq_queue.name: {"URL": REDIS_URL}},
    }
    with override_settings(**rq_settings):
        result = fold_later.using(queue_name=rq_queue.name).enqueue("Construcción Ñandú Limitada")
        rq_queue.job_ids.append(result.id)
        assert result.status == TaskResultStatus.READY
        assert redis.llen(f"rq:queue:{rq_queue.name}") == 1

        worker = vinculo("rqworker", "--burst", "--skip-checks", "--job-class", "django_tasks_rq.Job",
                         "--name", rq_queue.name, rq_queue.name, queue_name=rq_queue.name)
        assert worker.returncode == 0, worker.stderr

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
        assert result.return_value == "construccion nandu limitada"
        assert result.worker_ids == [rq_queue.name]
        assert redis.llen(f"rq:queue:{rq_queue.name}") == 0
