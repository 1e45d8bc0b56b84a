"""Fill German msgstr entries from a Python file defining a dict ``T`` (msgid → German).

Usage: uv run python scripts/fill_translations.py TRANSLATIONS.py [po files...]
Only empty or fuzzy entries are filled; then run scripts/messages to compile.
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
            if (not entry.msgstr or entry.fuzzy) and entry.msgid in translations:
                entry.msgstr = translations[entry.msgid]
                if entry.fuzzy:
                    entry.flags.remove("fuzzy")
        catalogue.save()
        left = [e.msgid for e in catalogue.untranslated_entries()]
        print(f"{path}: {len(left)} untranslated", *left[:20], sep="\n  " if left else "")


if __name__ == "__main__":
    main()
