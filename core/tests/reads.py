"""Counting what tests ask of the shared cache."""


def cache_reads(monkeypatch) -> list[tuple[str, object]]:
    """Every read the shared cache is asked for (a round trip each, on Redis)."""
    from django.core.cache import caches

    reads, inside = [], []
    backend = type(caches["default"])
    for name in ("get", "get_many"):
        method = getattr(backend, name)

        def counted(self, key, *args, _name=name, _method=method, **kwargs):
            if not inside:  # LocMem's get_many calls its get: one read
                reads.append((_name, key))
            inside.append(1)
            try:
                return _method(self, key, *args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(backend, name, counted)
    return reads
