from django.db import migrations


def place_to_committee(apps, schema_editor):
    """A template's place name becomes its committee's (cells.OrgUnit.place): the latest
    year's template wins, also over a study module's place (courses 0005 runs first), as the
    template's was the one set as the committee's place name for the date line."""
    PledgeTemplate = apps.get_model("pledges", "PledgeTemplate")
    OrgUnit = apps.get_model("cells", "OrgUnit")
    done = set()
    for template in PledgeTemplate.objects.exclude(place="").order_by("-year", "-id"):
        if template.unit_id not in done:
            OrgUnit.objects.filter(pk=template.unit_id).update(place=template.place)
            done.add(template.unit_id)


def place_back(apps, schema_editor):
    PledgeTemplate = apps.get_model("pledges", "PledgeTemplate")
    for template in PledgeTemplate.objects.select_related("unit"):
        PledgeTemplate.objects.filter(pk=template.pk).update(place=template.unit.place)


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0008_place_approver_role_returned_answers"),
        ("cells", "0006_org_unit_place"),
    ]

    operations = [
        migrations.RunPython(place_to_committee, place_back),
        migrations.RemoveField(model_name="pledgetemplate", name="place"),
    ]
