"""Send the same request from several threads at once, as a double tap or a retry storm does.

Each thread has its own test client (the same logged-in session) and its own database
connection; a barrier lets them all go at the same moment."""

import threading

from django.db import connections
from django.test import Client


def post_at_once(user, url: str, data: dict, *, times: int = 5, headers: dict | None = None) -> list:
    """The responses of `times` identical POSTs sent together by `user`."""
    login = Client()
    login.force_login(user)
    barrier = threading.Barrier(times)
    responses: list = [None] * times
    errors: list[BaseException] = []

    def send(index: int) -> None:
        client = Client()
        client.cookies.update(login.cookies)  # the same session, in a jar of its own
        try:
            barrier.wait(timeout=10)
            responses[index] = client.post(url, data, headers=headers or {})
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], errors
    return responses
