"""Robot webhook addresses and signing secrets are stored encrypted (xietong.core.crypto).

The columns become text (a ciphertext is longer than the address), the existing rows are
encrypted with the current data key, then the fields become EncryptedTextField (no schema
change). Reversed, the rows are decrypted back to plaintext.
"""

from django.db import migrations, models

import xietong.core.crypto
from xietong.core.crypto import decrypt_str, encrypt_str

FIELDS = ("webhook_url", "secret")


def _convert(apps, convert):
    # Historical model: the fields are plain text here, so values are read and written as stored.
    robot_model = apps.get_model("notify", "DepartmentRobot")
    for pk, *values in robot_model.objects.values_list("pk", *FIELDS):
        robot_model.objects.filter(pk=pk).update(**{f: convert(v) for f, v in zip(FIELDS, values)})


def encrypt_rows(apps, schema_editor):
    _convert(apps, encrypt_str)


def decrypt_rows(apps, schema_editor):
    _convert(apps, decrypt_str)


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='departmentrobot',
            name='webhook_url',
            field=models.TextField(verbose_name='webhook address'),
        ),
        migrations.AlterField(
            model_name='departmentrobot',
            name='secret',
            field=models.TextField(blank=True, verbose_name='signing secret'),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField(
            model_name='departmentrobot',
            name='webhook_url',
            field=xietong.core.crypto.EncryptedTextField(verbose_name='webhook address'),
        ),
        migrations.AlterField(
            model_name='departmentrobot',
            name='secret',
            field=xietong.core.crypto.EncryptedTextField(blank=True, verbose_name='signing secret'),
        ),
    ]
