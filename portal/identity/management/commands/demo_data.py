"""Create the demo institution: roles, licence types, pools, rules and a break-glass admin.

Idempotent: running it twice changes nothing (rows are looked up by their keys).
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.identity import demo
from portal.identity.models import (
    AdminGroupRule,
    AffiliationRule,
    Institution,
    LicencePool,
    LicenceType,
    Role,
    TermsVersion,
    User,
)


class Command(BaseCommand):
    help = "Create the demo institution with roles, licence types, pools and demo accounts."

    def handle(self, *args: object, **options: object) -> None:
        created = self.create()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new rows)."))

    @transaction.atomic
    def create(self) -> int:
        created = 0
        institution = Institution.objects.order_by("pk").first()
        if institution is None:
            Institution.objects.create(
                name=settings.INSTITUTION_NAME,
                mail_domains=list(settings.INSTITUTION_DOMAINS),
                external_domains=["partner.example"],
            )
            created += 1
        for slug, name, max_participants, time_limit, quota in demo.LICENCE_TYPES:
            licence_type, was_created = LicenceType.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "max_participants": max_participants,
                    "time_limit_minutes": time_limit,
                },
            )
            created += was_created
            _pool, was_created = LicencePool.objects.get_or_create(
                licence_type=licence_type, defaults={"quota": quota}
            )
            created += was_created
        for slug, name, licence_slug, may_host in demo.ROLES:
            _role, was_created = Role.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "licence_type": LicenceType.objects.get(slug=licence_slug),
                    "may_host": may_host,
                },
            )
            created += was_created
        for position, affiliation, role_slug in demo.AFFILIATION_RULES:
            _rule, was_created = AffiliationRule.objects.get_or_create(
                affiliation=affiliation,
                defaults={"position": position, "role": Role.objects.get(slug=role_slug)},
            )
            created += was_created
        # administration by IdP group: members of "it-admins" (it.admin) administer the portal
        group, was_created = Group.objects.get_or_create(name=demo.ADMIN_PERMISSION_GROUP)
        created += was_created
        if was_created:
            group.permissions.set(
                Permission.objects.filter(content_type__app_label__in=demo.ADMIN_PERMISSION_APPS)
            )
        _rule, was_created = AdminGroupRule.objects.get_or_create(
            idp_group=demo.ADMIN_IDP_GROUP, defaults={"group": group}
        )
        created += was_created
        _terms, was_created = TermsVersion.objects.get_or_create(
            version=demo.TERMS_VERSION,
            defaults={
                "title_de": demo.TERMS_TITLE_DE,
                "title_en": demo.TERMS_TITLE_EN,
                "text_de": demo.TERMS_TEXT_DE,
                "text_en": demo.TERMS_TEXT_EN,
            },
        )
        created += was_created
        if not User.objects.filter(username=demo.DEMO_ADMIN_USERNAME).exists():
            if not settings.DEBUG:
                raise CommandError(
                    "Refusing to create the demo admin with a known password when DEBUG is off."
                )
            User.objects.create_superuser(
                username=demo.DEMO_ADMIN_USERNAME,
                email="",
                password=demo.DEMO_PASSWORD,
                display_name="Break-glass admin",
            )
            created += 1
        for create_section in demo.DEMO_DATA_SECTIONS.values():
            created += create_section()
        return created
