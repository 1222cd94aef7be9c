"""PledgeTally gains `started` and `handed_in` (for the committee report's "started" and
"overdue"); the existing rows are filled from the raw rows here, as pledges.services counts
them: the year's pledges of active members in their current cell, at the cell and every unit
above it (the same as `manage.py recount_reports`)."""

from collections import defaultdict

from django.db import migrations, models
from django.db.models import F

HANDED_IN = ("submitted", "approved", "reviewed", "rated")
STEP = 4  # OrgUnit.steplen


def fill(apps, schema_editor):
    OrgUnit = apps.get_model("cells", "OrgUnit")
    Pledge = apps.get_model("pledges", "Pledge")
    PledgeTally = apps.get_model("pledges", "PledgeTally")
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    ids = {path: pk for pk, path in paths.items()}
    totals = defaultdict(lambda: [0, 0])
    pledges = Pledge.objects.filter(
        member__memberships__ended_on__isnull=True, member__memberships__cell_id=F("cell_id")
    ).values_list("cell_id", "year", "status")
    for cell_id, year, status in pledges.iterator(chunk_size=5000):
        path = paths[cell_id]
        for end in range(STEP, len(path) + 1, STEP):
            row = totals[(ids[path[:end]], year)]
            row[0] += 1
            row[1] += status in HANDED_IN
    existing = {(row.unit_id, row.year): row for row in PledgeTally.objects.all()}
    update, create = [], []
    for (unit_id, year), (started, handed_in) in totals.items():
        row = existing.get((unit_id, year))
        if row is None:
            create.append(PledgeTally(unit_id=unit_id, year=year, started=started, handed_in=handed_in))
        else:
            row.started, row.handed_in = started, handed_in
            update.append(row)
    PledgeTally.objects.bulk_create(create, batch_size=2000)
    PledgeTally.objects.bulk_update(update, ["started", "handed_in"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("cells", "0008_unit_event"),
        ("pledges", "0011_pledge_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="pledgetally",
            name="handed_in",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="pledgetally",
            name="started",
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
