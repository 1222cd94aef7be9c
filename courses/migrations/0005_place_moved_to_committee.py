from django.db import migrations


def place_to_committee(apps, schema_editor):
    """A module's place name becomes its issuing committee's (cells.OrgUnit.place; the
    audience's when it names no issuer), unless the committee already has one."""
    Module = apps.get_model("courses", "Module")
    OrgUnit = apps.get_model("cells", "OrgUnit")
    for module in Module.objects.exclude(place="").order_by("-year", "-id"):
        OrgUnit.objects.filter(pk=module.issuer_id or module.audience_id, place="").update(place=module.place)


def place_back(apps, schema_editor):
    Module = apps.get_model("courses", "Module")
    for module in Module.objects.select_related("issuer", "audience"):
        Module.objects.filter(pk=module.pk).update(place=(module.issuer or module.audience).place)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_certificate_signers"),
        ("cells", "0006_org_unit_place"),
    ]

    # A pledge template's place, where the committee has one, wins over a module's.
    run_before = [("pledges", "0009_place_moved_to_committee")]

    operations = [
        migrations.RunPython(place_to_committee, place_back),
        migrations.RemoveField(model_name="module", name="place"),
    ]
