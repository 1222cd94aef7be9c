import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def number_existing(apps, schema_editor):
    """Minutes already made get their cell, year and number: per cell and year, in the order
    they were made; the year is the meeting's (its time, else its conclusion, else its opening).
    Their count of those absent with a reason, kept apart from now on, is filled too."""
    Minutes = apps.get_model("forum", "Minutes")
    Attendance = apps.get_model("forum", "Attendance")
    Absence = apps.get_model("forum", "Absence")
    counters: dict[tuple[int, int], int] = {}
    for minutes in Minutes.objects.select_related("topic").order_by("created_at", "id"):
        topic = minutes.topic
        moment = topic.meeting_at or topic.concluded_at or topic.created_at
        year = timezone.localtime(moment).year
        key = (topic.cell_id, year)
        counters[key] = counters.get(key, 0) + 1
        # Absent with a reason: as recorded, or as a notice of absence where nothing was recorded.
        recorded = set(Attendance.objects.filter(topic_id=topic.pk).values_list("user_id", flat=True))
        excused = Attendance.objects.filter(topic_id=topic.pk, status="excused").count()
        excused += Absence.objects.filter(topic_id=topic.pk).exclude(user_id__in=recorded).count()
        Minutes.objects.filter(pk=minutes.pk).update(
            cell_id=topic.cell_id, year=year, number=counters[key], excused=min(excused, minutes.absentees)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cells", "0006_org_unit_place"),
        ("forum", "0005_meetings_attendance_votes"),
    ]

    operations = [
        migrations.AddField(
            model_name="minutes",
            name="cell",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cells.orgunit"
            ),
        ),
        migrations.AddField(model_name="minutes", name="year", field=models.PositiveSmallIntegerField(null=True)),
        migrations.AddField(model_name="minutes", name="number", field=models.PositiveIntegerField(null=True)),
        migrations.AddField(model_name="minutes", name="excused", field=models.PositiveIntegerField(default=0)),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
    ]
