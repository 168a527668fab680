from django.db import migrations

# A usable pipeline on a fresh install; admins rename, reorder and re-weight the stages.
STAGES = [
    ("Prospección", 10),
    ("Calificación", 20),
    ("Análisis de necesidades", 40),
    ("Propuesta", 60),
    ("Negociación", 80),
]


def create_stages(apps, schema_editor):
    PipelineStage = apps.get_model("sales", "PipelineStage")
    if not PipelineStage.objects.exists():
        PipelineStage.objects.bulk_create(
            PipelineStage(name=name, order=index, probability=probability)
            for index, (name, probability) in enumerate(STAGES, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
