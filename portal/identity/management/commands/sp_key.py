"""Show or rotate the SAML service provider's key pair (files under ``SAML_SP_KEY_DIR``).

    manage.py sp_key              # fingerprints of the current (and next/previous) key
    manage.py sp_key --prepare    # 1. a new key, published beside the current one
    manage.py sp_key --activate   # 2. the new key signs; the old one stays published
    manage.py sp_key --retire     # 3. the old key is deleted

Between the steps the IdPs' operators reload the SP metadata (or wait for its cache duration).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.identity.sso import keys


class Command(BaseCommand):
    help = "Show the SAML SP key pair or rotate it in three steps (prepare, activate, retire)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--prepare", action="store_true", help="create the next key")
        group.add_argument("--activate", action="store_true", help="sign with the next key")
        group.add_argument("--retire", action="store_true", help="delete the previous key")

    def handle(self, *args: object, **options: object) -> None:
        try:
            if options["prepare"]:
                keys.prepare_rotation()
                self.stdout.write(
                    "Next key created and published; activate it once the IdPs know it."
                )
            elif options["activate"]:
                keys.activate_next()
                self.stdout.write(
                    "Next key now signs; the previous one stays published until retired."
                )
            elif options["retire"]:
                if not keys.retire_previous():
                    raise CommandError("There is no previous key.")
                self.stdout.write("Previous key deleted.")
            else:
                keys.current()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for role, fingerprint in keys.status().items():
            self.stdout.write(f"{role}: SHA-256 {fingerprint}")
