"""Fill German msgstr entries from a Python file defining a dict ``T`` (msgid → German).

Usage: uv run python scripts/fill_translations.py TRANSLATIONS.py [po files...]
Only empty or fuzzy entries are filled (plural entries from a tuple of forms); then run
scripts/messages to compile.
"""

import runpy
import sys
from pathlib import Path

import polib


def main() -> None:
    translations = runpy.run_path(sys.argv[1])["T"]
    paths = sys.argv[2:] or [
        str(p)
        for p in Path(".").glob("**/locale/de/LC_MESSAGES/django.po")
        if ".venv" not in p.parts
    ]
    for path in paths:
        catalogue = polib.pofile(path)
        for entry in catalogue:
            if entry.translated() or entry.msgid not in translations:
                continue
            value = translations[entry.msgid]
            if entry.msgid_plural:
                # plural entries take a tuple (singular, plural) of German forms
                if isinstance(value, str):
                    continue
                entry.msgstr_plural = dict(enumerate(value))
            elif isinstance(value, str):
                entry.msgstr = value
            else:
                continue
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
        catalogue.save()
        left = [e.msgid for e in catalogue.untranslated_entries()]
        print(f"{path}: {len(left)} untranslated", *left[:20], sep="\n  " if left else "")


if __name__ == "__main__":
    main()
