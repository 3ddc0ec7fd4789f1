"""Settings from the environment: defaults, a .env file, and bad values named at start-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ifm_api.config import ConfigError, load_settings


def test_operator_without_settings_gets_sqlite_under_instance_and_de_en(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "IFM_LANGUAGES", "IFM_INSTANCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'ifm.sqlite3'}"
    assert settings.languages == ("de", "en")
    assert settings.default_language == "de"
    assert settings.fallbacks == {"de": ("en",), "en": ("de",)}


def test_operator_dotenv_file_sets_variables_but_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IFM_LANGUAGES", raising=False)
    monkeypatch.setenv("IFM_CACHE_MAX_AGE", "5")
    (tmp_path / ".env").write_text("IFM_LANGUAGES=en,de,fr\nIFM_CACHE_MAX_AGE=99\n")
    settings = load_settings()
    os.environ.pop("IFM_LANGUAGES", None)  # set by the .env file, not by monkeypatch
    assert settings.languages == ("en", "de", "fr")
    assert settings.cache_max_age == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IFM_LANGUAGES", "de,xx-nonsense-1"),
        ("IFM_LANGUAGES", ""),
        ("IFM_CACHE_MAX_AGE", "soon"),
        ("IFM_MAX_UPLOAD_MB", "0"),
        ("IFM_SITE_URL", "www.example.org"),
        ("IFM_URL_NEWS", "{site}/{language}/{slug}"),
        ("IFM_FALLBACKS", "en:fr"),
        ("DATABASE_URL", "mysql://root@localhost/ifm"),
    ],
)
def test_operator_bad_value_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})
