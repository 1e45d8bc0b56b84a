"""The committed OpenAPI description (docs/openapi.json): generated, in a stable form."""

import json

from django.utils import translation

from integrations.api.endpoints import api


def openapi_description() -> str:
    """The description as JSON text, in English whatever the request's language, with sorted
    keys so that a change shows as a small diff."""
    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
