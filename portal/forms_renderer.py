"""The form renderer: Django's widget templates, with the portal's overrides first.

Django's default renderer looks in the apps' template folders after its own, where the admin's
widgets come before anything of ours; this one looks in ``templates/widgets_override/`` first,
so that ``admin/widgets/split_datetime.html`` labels the date and the time field (WCAG 1.3.1,
4.1.2; docs/DESIGN-SYSTEM.md, administration).
"""

from pathlib import Path

import django.forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property


class PortalFormRenderer(DjangoTemplates):
    @cached_property
    def engine(self):  # noqa: ANN201 (a template backend)
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(settings.BASE_DIR) / "templates" / "widgets_override",
                    # the features' own widgets (the schedule form's time zone and co-host
                    # lists) live in the features' template folders, as the project's engine
                    # finds them
                    *settings.TEMPLATES[0]["DIRS"],
                    Path(django.forms.__file__).parent / "templates",
                ],
                "NAME": "portalforms",
                "OPTIONS": {},
            }
        )
