"""Build the portal's SVG icon sprite from feather-icons (MIT, vendored by scripts/vendor).

Only the icons the pages use go into ``static/portal/icons.svg``, each as a ``<symbol>`` whose
id is the icon's name (docs/DESIGN-SYSTEM.md lists them); the brand mark is the portal's own.
Usage: ``python scripts/icon_sprite.py FEATHER_ICONS_DIR OUTPUT``.
"""

import re
import sys
from pathlib import Path

ICONS = [
    "alert-circle", "alert-triangle", "archive", "bar-chart-2", "calendar", "check",
    "check-circle", "chevron-right", "clock", "copy", "database", "download", "edit-2",
    "external-link", "eye", "file-text", "home", "info", "key", "link", "lock", "log-in",
    "log-out", "mail", "mic", "mic-off", "play", "plus", "refresh-cw", "search", "settings",
    "shield", "trash-2", "unlock", "user", "user-check", "users", "video", "x", "x-circle",
]  # fmt: skip

#: The portal's mark (also the favicon's glyph): a camera in a speech bubble.
BRAND = (
    '<symbol id="brand" viewBox="0 0 32 32">'
    '<rect x="1" y="1" width="30" height="30" rx="7" fill="currentColor" stroke="none"/>'
    '<path d="M7 11.5a2.5 2.5 0 0 1 2.5-2.5h8a2.5 2.5 0 0 1 2.5 2.5v7a2.5 2.5 0 0 1-2.5 2.5h-4'
    'l-3.5 3v-3h-.5A2.5 2.5 0 0 1 7 18.5z" fill="#0b4f8a" stroke="none"/>'
    '<path d="M21.5 13.5 25 11v8l-3.5-2.5z" fill="#0b4f8a" stroke="none"/></symbol>'
)


def build(source: Path) -> str:
    symbols = []
    for name in ICONS:
        svg = (source / f"{name}.svg").read_text()
        body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1).strip()
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{body}</symbol>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg">\n'
        "<!-- feather-icons (MIT, https://feathericons.com; vendor/feather-icons/LICENSE) -->\n"
        + "\n".join([BRAND, *symbols])
        + "\n</svg>\n"
    )


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(build(Path(sys.argv[1])))
