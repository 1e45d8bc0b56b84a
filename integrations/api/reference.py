"""The API reference page's content, read from the generated OpenAPI description."""

from django.urls import reverse

from integrations.api.endpoints import api


def description_url() -> str:
    return reverse("integrations_api_v1:openapi-json")


def _schema_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(option) for option in schema["anyOf"])
    return schema.get("format") or schema.get("type", "")


def operations() -> list[dict]:
    """Each operation with its method, path, scope, parameters, body and answers."""
    description = api.get_openapi_schema()
    rows = []
    for path, item in description["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            rows.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "scope": (operation.get("security") or [{}])[0].get("TokenAuth", [""])[0],
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _schema_name(parameter.get("schema", {})),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _schema_name(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "type": ", ".join(
                                f"{media} {_schema_name(content.get('schema', {}))}".strip()
                                for media, content in response.get("content", {}).items()
                            ),
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    rows.sort(key=lambda row: (row["path"], row["method"]))
    return rows


def schemas() -> dict[str, dict]:
    """Each body with its fields, for the reference's second half."""
    rows = {}
    for name, schema in api.get_openapi_schema()["components"]["schemas"].items():
        required = set(schema.get("required", []))
        rows[name] = {
            "description": schema.get("description", ""),
            "fields": [
                {
                    "name": field,
                    "required": field in required,
                    "type": _schema_name(definition),
                    "description": definition.get("description", ""),
                }
                for field, definition in schema.get("properties", {}).items()
            ],
        }
    return dict(sorted(rows.items()))
