from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

DATA_PROTECTION_OFFICER = "Data protection officer"


def ensure_data_protection_officer_group(using: str = "default", **_kwargs: object) -> None:
    """The group "Data protection officer" (after every migrate): reads and exports the access
    log, the deletion log and the legal holds. Members are chosen by an administrator."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.using(using).get_or_create(name=DATA_PROTECTION_OFFICER)
    codenames = [
        "view_accesslogentry",
        "export_accesslogentry",
        "view_deletionlogentry",
        "view_legalhold",
    ]
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="retention", codename__in=codenames
    )
    group.permissions.add(*permissions)


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from django.core import checks

        from retention import access  # noqa: F401 - the access log's own category
        from retention.keyring import register_rotation
        from retention.schedule import ensure_nightly_tasks
        from retention.services import install_default_rules, rotate_deletion_log_references

        checks.register(reference_secret_check, checks.Tags.security)
        register_rotation("deletion log references", rotate_deletion_log_references)

        # After every migrate (and flush): a nightly task for each category the apps
        # registered, and each category's default rules where its (category, event) has none.
        post_migrate.connect(ensure_nightly_tasks, sender=self, dispatch_uid="retention-nightly")
        post_migrate.connect(
            install_default_rules, sender=self, dispatch_uid="retention-default-rules"
        )
        post_migrate.connect(
            ensure_data_protection_officer_group, sender=self, dispatch_uid="retention-dpo"
        )
        # holds entered before a deployment are checked by it (retention/holds.py)
        from retention.holds import check_holds_after_migrate

        post_migrate.connect(
            check_holds_after_migrate, sender=self, dispatch_uid="retention-check-holds"
        )


def reference_secret_check(**_kwargs: object) -> list:
    """RETENTION_REFERENCE_SECRET: required when DEBUG is off (docs/OPERATIONS.md, secrets)."""
    from retention.keyring import check_secret

    return check_secret(
        setting="RETENTION_REFERENCE_SECRET",
        old_setting="RETENTION_REFERENCE_OLD_SECRETS",
        error_id="retention.E101",
        purpose="the key of the deletion log's item references",
    )
