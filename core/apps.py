from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created

        from core.cache import install_table_generations
        from core.sqlite import hold_on_first_request

        request_started.connect(hold_on_first_request, dispatch_uid="core_hold_sqlite_wal")
        # Every write through Django bumps the generations of the tables it writes (core.cache).
        connection_created.connect(install_table_generations, dispatch_uid="core_table_generations")
