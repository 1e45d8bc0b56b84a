"""Extra sections of the licence report, contributed by higher layers (the Zoom backend's
reconciliation) through a registry filled from their ``AppConfig.ready()``."""

from collections.abc import Callable

_sections: list[Callable[[], str]] = []


def register_licence_report_section(render: Callable[[], str]) -> None:
    """``render`` returns the section's HTML (escaped by its own template)."""
    if render not in _sections:
        _sections.append(render)


def licence_report_sections() -> list[str]:
    return [html for render in _sections if (html := render())]
