

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cells', '0005_org_unit_code_validator'),
    ]

    operations = [
        migrations.AddField(
            model_name='orgunit',
            name='place',
            field=models.CharField(blank=True, help_text='Printed on the date line of minutes, pledges and certificates, e.g. Quảng Trị or Đông Hà. Blank: the place of the committee above.', max_length=100, verbose_name='place name'),
        ),
    ]
