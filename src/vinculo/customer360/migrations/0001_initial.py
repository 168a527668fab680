"""The Customer 360 records moved from accounts (accounts 0009): their tables already exist under their old names
(`accounts_note`…), so only Django's state is created, with the same table, index and constraint names. Their
content types are relabelled ("accounts.note" → "customer360.note") before post_migrate could create new ones,
so the rows that point at them keep working: history, permissions (and the groups holding them), the regarding
links of records; so are the search index's kinds and the org-wide defaults, which name types by label."""

import django.db.models.deletion
import django.db.models.manager
import vinculo.customer360.models
from django.conf import settings
from django.db import migrations, models

MOVED = ("customerasset", "contract", "note", "contentdelivery", "document", "documentversion")


def relabel(old: str, new: str):
    def run(apps, schema_editor):
        db = schema_editor.connection.alias
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in MOVED:
            types = ContentType.objects.using(db)
            if types.filter(app_label=old, model=model).exists():
                # A type under the new label can only come from post_migrate meeting the moved models before this
                # ran: it holds nothing but its default permissions, and the old one is the type in use.
                types.filter(app_label=new, model=model).delete()
                types.filter(app_label=old, model=model).update(app_label=new)
            apps.get_model("core", "SearchEntry").objects.using(db).filter(kind=f"{old}.{model}").update(
                kind=f"{new}.{model}")
            apps.get_model("org", "OrgDefault").objects.using(db).filter(record_type=f"{old}.{model}").update(
                record_type=f"{new}.{model}")
        ContentType.objects.clear_cache()
    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0009_customer360_records_moved'),
        ('core', '0001_initial'),
        ('org', '0001_initial'),
        ('contacts', '0003_access_indexes'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Document',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                        ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted at')),
                        ('regarding_id', models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name='regarding')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='accounts.account', verbose_name='account')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('deleted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deleted by')),
                        ('regarding_type', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='regarding (type)')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'file',
                        'verbose_name_plural': 'files',
                        'db_table': 'accounts_document',
                        'ordering': ['-updated_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='DocumentVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(verbose_name='version')),
                        ('file', models.FileField(max_length=300, upload_to=vinculo.customer360.models._version_path, verbose_name='file')),
                        ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                        ('size', models.PositiveBigIntegerField(verbose_name='size (bytes)')),
                        ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                        ('comment', models.CharField(blank=True, max_length=300, verbose_name='comment')),
                        ('uploaded_at', models.DateTimeField(verbose_name='uploaded at')),
                        ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='customer360.document')),
                        ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                    ],
                    options={
                        'verbose_name': 'file version',
                        'verbose_name_plural': 'file versions',
                        'db_table': 'accounts_documentversion',
                        'ordering': ['-number'],
                    },
                ),
                migrations.CreateModel(
                    name='Note',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                        ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted at')),
                        ('regarding_id', models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name='regarding')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('body', models.TextField(verbose_name='note')),
                        ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='accounts.account', verbose_name='account')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notes', to='contacts.contact', verbose_name='contact')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('deleted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deleted by')),
                        ('regarding_type', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='regarding (type)')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'note',
                        'verbose_name_plural': 'notes',
                        'db_table': 'accounts_note',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ContentDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                        ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted at')),
                        ('title', models.CharField(max_length=200, verbose_name='material')),
                        ('kind', models.CharField(choices=[('article', 'Knowledge article'), ('brochure', 'Brochure'), ('presentation', 'Presentation'), ('catalogue', 'Catalogue / price list'), ('sample', 'Sample'), ('training', 'Training'), ('other', 'Other')], default='article', max_length=12, verbose_name='kind')),
                        ('reference', models.CharField(blank=True, max_length=300, verbose_name='link or reference')),
                        ('delivered_on', models.DateField(verbose_name='delivered on')),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('visit', 'Visit'), ('portal', 'Portal'), ('post', 'Post / courier')], default='email', max_length=10, verbose_name='channel')),
                        ('notes', models.TextField(blank=True, verbose_name='notes')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='accounts.account', verbose_name='account')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='content_deliveries', to='contacts.contact', verbose_name='delivered to')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('deleted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deleted by')),
                        ('delivered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='delivered by')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'content delivery',
                        'verbose_name_plural': 'content deliveries',
                        'db_table': 'accounts_contentdelivery',
                        'ordering': ['-delivered_on', '-id'],
                        'indexes': [models.Index(fields=['account', 'deleted_at', '-delivered_on'], name='delivery_account_idx')],
                    },
                    managers=[
                        ('objects', django.db.models.manager.Manager()),
                        ('all_objects', django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name='Contract',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                        ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted at')),
                        ('number', models.CharField(max_length=50, verbose_name='contract number')),
                        ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
                        ('contract_type', models.CharField(choices=[('service', 'Service'), ('maintenance', 'Maintenance'), ('supply', 'Supply'), ('license', 'Licence'), ('framework', 'Framework agreement'), ('other', 'Other')], default='service', max_length=12, verbose_name='type')),
                        ('start_date', models.DateField(verbose_name='start')),
                        ('end_date', models.DateField(blank=True, null=True, verbose_name='expiry')),
                        ('renewal_type', models.CharField(choices=[('automatic', 'Renews automatically'), ('manual', 'Renewal to negotiate'), ('none', 'Does not renew')], default='manual', max_length=10, verbose_name='renewal')),
                        ('notice_days', models.PositiveSmallIntegerField(default=30, help_text='How long before expiry the renewal must be decided.', verbose_name='notice period (days)')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('active', 'Active'), ('expired', 'Expired'), ('terminated', 'Terminated'), ('renewed', 'Renewed')], default='active', max_length=10, verbose_name='status')),
                        ('value', models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True, verbose_name='value')),
                        ('currency', models.CharField(default='CLP', max_length=3, verbose_name='currency')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='accounts.account', verbose_name='account')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contracts', to='contacts.contact', verbose_name='customer contact responsible')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('deleted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deleted by')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'contract',
                        'verbose_name_plural': 'contracts',
                        'db_table': 'accounts_contract',
                        'ordering': ['end_date', 'number'],
                        'base_manager_name': 'all_objects',
                        'indexes': [models.Index(fields=['status', 'end_date'], name='contract_renewal_idx'), models.Index(fields=['account', 'deleted_at', 'end_date'], name='contract_account_idx')],
                    },
                    managers=[
                        ('objects', django.db.models.manager.Manager()),
                        ('all_objects', django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name='CustomerAsset',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                        ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted at')),
                        ('product_name', models.CharField(max_length=200, verbose_name='product')),
                        ('serial_number', models.CharField(blank=True, max_length=100, verbose_name='serial number')),
                        ('sale_date', models.DateField(blank=True, null=True, verbose_name='sale date')),
                        ('status', models.CharField(choices=[('active', 'In use'), ('in_service', 'In service / repair'), ('retired', 'Retired'), ('returned', 'Returned')], default='active', max_length=12, verbose_name='status')),
                        ('notes', models.TextField(blank=True, verbose_name='notes')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='%(class)ss', to='accounts.account', verbose_name='account')),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assets', to='contacts.contact', verbose_name='contact in charge')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('deleted_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deleted by')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'verbose_name': 'customer asset',
                        'verbose_name_plural': 'customer assets',
                        'db_table': 'accounts_customerasset',
                        'ordering': ['-sale_date', '-id'],
                        'indexes': [models.Index(fields=['account', 'deleted_at', '-sale_date'], name='asset_account_idx'), models.Index(fields=['serial_number'], name='asset_serial_idx')],
                    },
                    managers=[
                        ('objects', django.db.models.manager.Manager()),
                        ('all_objects', django.db.models.manager.Manager()),
                    ],
                ),
                migrations.AddIndex(
                    model_name='document',
                    index=models.Index(fields=['account', 'deleted_at', '-updated_at'], name='document_account_idx'),
                ),
                migrations.AddIndex(
                    model_name='document',
                    index=models.Index(fields=['regarding_type', 'regarding_id', '-updated_at'], name='document_regarding_idx'),
                ),
                migrations.AddConstraint(
                    model_name='documentversion',
                    constraint=models.UniqueConstraint(fields=('document', 'number'), name='document_version_unique'),
                ),
                migrations.AddIndex(
                    model_name='note',
                    index=models.Index(fields=['account', 'deleted_at', '-created_at'], name='note_account_idx'),
                ),
                migrations.AddIndex(
                    model_name='note',
                    index=models.Index(fields=['regarding_type', 'regarding_id', '-created_at'], name='note_regarding_idx'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel("accounts", "customer360"), relabel("customer360", "accounts")),
    ]
