"""Write the REST API's OpenAPI description (docs/openapi.json is this command's output)."""

from django.core.management.base import BaseCommand, CommandParser

from integrations.api.description import openapi_description


class Command(BaseCommand):
    help = "Print the REST API's OpenAPI 3 description, or write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="a file to write instead of printing")

    def handle(self, *args: object, output: str | None = None, **options: object) -> None:
        text = openapi_description()
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
