from django.db import migrations

WORDS = {"Bí thư chi bộ": "secretary", "Phó Bí thư chi bộ": "deputy"}


def words_to_codes(apps, schema_editor):
    """An approval's role was stored in the paper's words; it is now the role's code
    (cells.models.Membership.Role), which the PDF words."""
    PledgeEvent = apps.get_model("pledges", "PledgeEvent")
    for words, code in WORDS.items():
        PledgeEvent.objects.filter(actor_role=words).update(actor_role=code)


def codes_to_words(apps, schema_editor):
    PledgeEvent = apps.get_model("pledges", "PledgeEvent")
    for words, code in WORDS.items():
        PledgeEvent.objects.filter(actor_role=code).update(actor_role=words)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0009_place_moved_to_committee")]

    operations = [migrations.RunPython(words_to_codes, codes_to_words)]
