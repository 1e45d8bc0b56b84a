"""German and English ship with the portal: catalogues complete, compiled and used."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("**/locale/de/LC_MESSAGES/django.po"))
CATALOGUES = [path for path in CATALOGUES if ".venv" not in path.parts]


def test_there_is_a_german_catalogue_for_the_project_and_each_app():
    expected = [ROOT / "locale"] + [
        ROOT / app / "locale" for app in ("portal/identity", "meetings", "consent", "retention")
    ]
    for locale_dir in expected:
        assert locale_dir / "de" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_and_compiled(po_path):
    catalogue = polib.pofile(str(po_path))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated in {po_path}: {missing[:10]}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy[:10]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is not compiled (run scripts/messages)"
    compiled = polib.mofile(str(mo_path))
    assert {entry.msgid for entry in compiled} >= {
        entry.msgid for entry in catalogue.translated_entries()
    }, f"{mo_path} is older than its .po (run scripts/messages)"


def test_translations_load():
    with translation.override("de"):
        assert translation.gettext("Skip to main content") == "Zum Hauptinhalt springen"
    with translation.override("en"):
        assert translation.gettext("Skip to main content") == "Skip to main content"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("de", "Online-Besprechungen"), ("en", "Online meetings")]
)
def test_the_home_page_speaks_the_chosen_language(client, language, heading):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response["Content-Language"] == language
    assert f"<h1>{heading}</h1>" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "<h1>Online meetings</h1>" in client.get("/").content.decode()
