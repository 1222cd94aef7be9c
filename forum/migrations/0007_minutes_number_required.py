import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0006: PostgreSQL alters no table with the data migration's deferred checks pending.
    dependencies = [("forum", "0006_minutes_number")]

    operations = [
        migrations.AlterField(
            model_name="minutes",
            name="cell",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cells.orgunit"),
        ),
        migrations.AlterField(model_name="minutes", name="year", field=models.PositiveSmallIntegerField()),
        migrations.AlterField(model_name="minutes", name="number", field=models.PositiveIntegerField()),
        migrations.AddConstraint(
            model_name="minutes",
            constraint=models.UniqueConstraint(
                fields=("cell", "year", "number"), name="forum_one_minutes_number_per_cell_year"
            ),
        ),
    ]
