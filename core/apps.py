from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from django.core.signals import request_started

        from core.sqlite import hold_on_first_request

        request_started.connect(hold_on_first_request, dispatch_uid="core_hold_sqlite_wal")
