"""Each feature registers its own admin."""

from integrations.api import admin as api_admin  # noqa: F401
from integrations.lti import admin as lti_admin  # noqa: F401
