"""Write the translated entries of one or more .po files as a dict ``T`` for fill_translations.

Usage: uv run python scripts/po_to_dict.py OUT.py FILE.po [FILE.po ...]
Helps when two branches translated the same catalogue: merge one side, refill from the other.
"""

import sys

import polib


def main() -> None:
    translations: dict[str, str | tuple[str, ...]] = {}
    for path in sys.argv[2:]:
        for entry in polib.pofile(path).translated_entries():
            if entry.fuzzy:
                continue
            if entry.msgid_plural:
                forms = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
                translations.setdefault(entry.msgid, forms)
            else:
                translations.setdefault(entry.msgid, entry.msgstr)
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        out.write(f"T = {translations!r}\n")
    print(f"{len(translations)} translations written to {sys.argv[1]}")


if __name__ == "__main__":
    main()
