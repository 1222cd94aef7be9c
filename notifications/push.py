"""Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) with pywebpush.

`notification_send` hands each notification to `push_after_commit`: once its transaction
commits, the notification goes on a bounded queue in this process, and a background worker
pushes it to the phones where the member turned pushes on. The request never waits for a
push service: a slow or failing one delays only other pushes, never a page. The worker takes
whatever has been queued (one request's notifications, committed together, usually arrive
together) as one batch: one query for the batch's subscriptions, then the sends on a small
pool of threads (PUSH_THREADS). Every in-site notification (mentions, meeting notices,
reminders, pledges returned or approved, certificates issued) is pushed. The payload is JSON:
{"title", "body", "url"}, shown by core/sw.js. Keys come from settings (VAPID_PUBLIC_KEY,
VAPID_PRIVATE_KEY, VAPID_SUBJECT; `manage.py make_vapid_keys` makes a pair); without them
nothing is pushed. A subscription answered 404 or 410 is deleted; any other failure is logged
and never raised. A full queue (PUSH_QUEUE_SIZE) drops the push, logged: the bell still has it.
"""

import atexit
import json
import logging
import os
import queue
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)
TIMEOUT = 5  # seconds per push service request
BATCH = 100  # notifications read in one query
QUEUE_SIZE = 1000
THREADS = 4

_lock = threading.Lock()
_queue: "queue.Queue[tuple[int, str, str]]" = queue.Queue(maxsize=QUEUE_SIZE)
_worker: threading.Thread | None = None
_pid: int | None = None


def enabled() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def push_after_commit(notification) -> None:
    """Queue this notification's push once the current transaction commits (at once outside
    one). Never blocks and never raises."""
    item = (notification.user_id, notification.message, notification.url or "/notifications/")
    transaction.on_commit(lambda: enqueue(item))


def enqueue(item: tuple[int, str, str]) -> bool:
    _start()
    try:
        _queue.put_nowait(item)
        return True
    except queue.Full:
        logger.warning("push queue full: a push to user %s was dropped", item[0])
        return False


def wait_idle(timeout: float = 10.0) -> bool:
    """For tests and shutdown: wait until every queued push has been tried."""
    done = threading.Event()

    def join():
        _queue.join()
        done.set()

    threading.Thread(target=join, daemon=True).start()
    return done.wait(timeout)


def _start() -> None:
    global _worker, _pid
    with _lock:
        if _worker is not None and _worker.is_alive() and _pid == os.getpid():
            return
        if _pid != os.getpid():  # a forked child does not have its parent's threads
            _reset_queue()
        _pid = os.getpid()
        _worker = threading.Thread(target=_run, name="push-worker", daemon=True)
        _worker.start()


@atexit.register
def _drain_at_exit() -> None:
    # A command (send_notification, reminders) ends right after its commit: what it queued
    # is still sent, within a bound.
    if _worker is not None and _worker.is_alive() and _pid == os.getpid() and _queue.unfinished_tasks:
        wait_idle(timeout=2 * TIMEOUT + 1)


def _reset_queue() -> None:
    global _queue
    _queue = queue.Queue(maxsize=QUEUE_SIZE)


def _run() -> None:
    while True:
        batch = [_queue.get()]
        while len(batch) < BATCH:
            try:
                batch.append(_queue.get_nowait())
            except queue.Empty:
                break
        try:
            push_batch(batch)
        except Exception:  # the worker goes on whatever one batch does
            logger.exception("push batch failed")
        finally:
            for _item in batch:
                _queue.task_done()


def push_batch(batch: list[tuple[int, str, str]]) -> int:
    """Push each (user id, message, url) to every subscription of that user, in one query for
    the batch; returns how many the push services accepted."""
    from notifications.models import PushSubscription

    if not enabled():
        return 0
    close_old_connections()
    try:
        by_user: dict[int, list] = {}
        for subscription in PushSubscription.objects.filter(user_id__in={item[0] for item in batch}):
            by_user.setdefault(subscription.user_id, []).append(subscription)
        jobs = []
        for user_id, message, url in batch:
            payload = json.dumps({"title": "Chi bộ số", "body": message, "url": url}, ensure_ascii=False)
            jobs.extend((subscription, payload) for subscription in by_user.get(user_id, ()))
        results = _send_all(jobs)
        dead = [subscription.pk for (subscription, _p), result in zip(jobs, results, strict=True) if result == "dead"]
        if dead:
            PushSubscription.objects.filter(pk__in=dead).delete()
        return results.count("sent")
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _send_all(jobs: list) -> list[str]:
    """Send on up to THREADS threads at once (one push service slow to answer does not hold the
    others); inline when there is one, or when no thread can be started (interpreter exit)."""
    results = ["failed"] * len(jobs)
    pending = list(enumerate(jobs))

    def drain():
        while pending:
            try:
                index, (subscription, payload) = pending.pop()
            except IndexError:
                return
            results[index] = _send(subscription, payload)

    threads = []
    if len(jobs) > 1:
        for _n in range(min(THREADS, len(jobs)) - 1):
            thread = threading.Thread(target=drain, name="push-send", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                break
            threads.append(thread)
    drain()
    for thread in threads:
        thread.join()
    return results


def _send(subscription, payload: str) -> str:
    from pywebpush import WebPushException, webpush

    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            info,
            data=payload,
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=24 * 3600,
            timeout=TIMEOUT,
        )
        return "sent"
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):  # the browser unsubscribed or the subscription expired
            return "dead"
        logger.warning("push to subscription %s failed: %s", subscription.pk, exc)
    except Exception:  # the in-site notification stands whatever the push service does
        logger.exception("push to subscription %s failed", subscription.pk)
    return "failed"
