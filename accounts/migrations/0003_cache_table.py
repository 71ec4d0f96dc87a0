from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Without REDIS_URL the shared cache is a database table: `migrate` alone must make it.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_email_unique_message")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
