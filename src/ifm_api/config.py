"""Settings from the environment, validated once at start-up.

Every variable (all optional; a `.env` file in the working directory may set them):

- ``DATABASE_URL``: SQLAlchemy URL. Default: SQLite file ``instance/ifm.sqlite3``.
  PostgreSQL: ``postgresql+psycopg://user@host:5432/dbname``.
- ``IFM_LANGUAGES``: comma-separated language codes; the first is the default language.
  Default ``de,en``.
- ``IFM_FALLBACKS``: fallback chains, e.g. ``en:de;de:en`` (default: every language falls
  back to the others in the order of ``IFM_LANGUAGES``).
- ``IFM_TRANSLATION_SOURCE``: the language translations are made from (the translation
  status calls the others outdated when it changes; XLIFF exports it as the source).
  Default: the default language.
- ``IFM_MEDIA_ROOT``: directory for uploaded files. Default ``instance/media``.
- ``IFM_SITE_URL``: public website base URL. Default ``https://www.example.org``.
- ``IFM_PUBLIC_URL``: the API's own external base URL, e.g. ``https://api.ifm.example`` (a
  path such as ``https://www.ifm.example/content-api`` is a prefix the proxy may or may not
  strip). When set, every absolute URL the API writes (Link headers, ``url`` fields, feed
  links, ``Location``) uses it, and the ``Host`` and ``X-Forwarded-*`` of a request are
  ignored: a request naming another host is answered as if it named this one, never refused
  (probes by IP keep working, and a forged Host cannot reach any URL or cache entry).
  Default: unset, URLs follow the request's ``Host`` (after ``IFM_PROXY_COUNT``).
- ``IFM_PROXY_COUNT``: how many reverse proxies in front of the API to trust for
  ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix`` (werkzeug's ProxyFix takes the values the
  last that many proxies appended, no more). Default 0: those headers are ignored.
- ``IFM_URL_<RESOURCE>``: public URL template per resource, with ``{site}``, ``{lang}``,
  ``{slug}``, ``{id}``; resource one of NEWS, REPORTS, PROJECTS, PEOPLE, RESEARCH_AREAS.
  Default ``{site}/{lang}/<resource>/{slug}``.
- ``IFM_CORS_ORIGINS``: comma-separated origins allowed by CORS (``*`` for all). Default none.
- ``IFM_CACHE_MAX_AGE``: seconds public reads may be cached. Default 60.
- ``IFM_MAX_UPLOAD_MB``: largest accepted upload/body in MiB. Default 20.
- ``IFM_MEDIA_WIDTHS``: comma-separated widths (pixels) of image renditions; only these
  exist. Default ``160,320,640,1280``.
- ``IFM_MEDIA_RATIOS``: comma-separated aspect ratios of cropped renditions (``1:1,16:9``;
  empty for none). Crops centre on the image's focal point. Default ``1:1``.
- ``IFM_MEDIA_MAX_PIXELS``: largest accepted image (width x height); larger uploads, and
  decompression bombs beyond Pillow's own limit, are a 422. Default 40000000.
- ``IFM_TIMEZONE``: the institute's time zone (IANA name): display dates and `year` filters
  of timestamps count days in it. Default ``Europe/Berlin``.
- ``IFM_INSTITUTION_NAME``: the publisher/institution named in citations and linked data.
  Default ``Institut für Mittelstandsforschung, Universität Mannheim``.
- ``IFM_INSTITUTION_PLACE``: its place (citations' address/location). Default ``Mannheim``.
- ``IFM_CITATION_STYLE``: default CSL style of formatted citations, one of the shipped
  styles ``apa`` and ``german-council-of-economic-experts``. Default ``apa``.
- ``IFM_CHANGES_RETENTION_DAYS``: how long the change feed keeps changes; older cursors get
  a 410 (start again with a full sync). Default 30.
- ``IFM_WEBHOOKS_ALLOW_HOSTS``: comma-separated host names or IP addresses webhooks may
  target despite the SSRF guard (loopback, private, link-local and metadata addresses are
  refused otherwise). Default none.
- ``IFM_WEBHOOKS_ALLOW_HTTP``: ``1`` allows ``http://`` webhook URLs (default: https only).
- ``IFM_WEBHOOKS_TIMEOUT``: seconds to connect, and to wait for the answer, per delivery.
  Default 5.
- ``IFM_WORKER_THREAD``: ``1`` (default) delivers webhooks from a background thread of
  ``ifm-api serve``; ``0`` leaves delivery to ``ifm-api worker``.
- ``SECRET_KEY``: Flask secret. Default: random per process (fine, the API has no sessions).
- ``IFM_LOG_LEVEL``: level of the API's logs (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``).
  Default ``INFO``.
- ``IFM_LOG_FORMAT``: ``text`` (readable lines, the default, for ``make run``) or ``json`` (one
  JSON object per line on stderr, for production): one line per request with time,
  request id, method, path, query, status, duration, bytes, token name and client address.
- ``IFM_RATELIMIT_ENABLED``: ``0`` turns every rate limit off. Default ``1``.
- ``IFM_RATELIMIT_AUTH``: failed authentications (a presented token that is unknown, expired
  or revoked) allowed per client address, e.g. ``20/minute`` (flask-limiter's notation;
  several with ``;``). Over it, every request with a token from that address is a 429 until
  the window passes. Default ``20/minute``.
- ``IFM_RATELIMIT_WRITES``: writes (POST, PUT, PATCH, DELETE) allowed per token. Default
  ``600/minute``.
- ``IFM_RATELIMIT_STORAGE_URL``: where the counters live: ``memory://`` (per process, the
  default) or ``redis://host:6379/0``, so one limit holds across every worker and machine.
- ``IFM_METRICS_TOKEN``: the bearer token that ``GET /metrics`` (Prometheus) asks for.
  Default unset: ``/metrics`` answers 404, so it is never open by accident.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from dotenv import load_dotenv

DEFAULT_INSTITUTION = "Institut für Mittelstandsforschung, Universität Mannheim"
CITATION_STYLES = ("apa", "german-council-of-economic-experts")
RESOURCES = ("news", "reports", "projects", "people", "research_areas")


class ConfigError(ValueError):
    """A setting has a bad value; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    languages: tuple[str, ...]
    fallbacks: dict[str, tuple[str, ...]]
    media_root: Path
    site_url: str
    url_templates: dict[str, str]
    cors_origins: tuple[str, ...]
    cache_max_age: int
    max_upload_bytes: int
    secret_key: str
    timezone: str = "Europe/Berlin"
    public_url: str | None = None
    proxy_count: int = 0
    media_widths: tuple[int, ...] = (160, 320, 640, 1280)
    media_ratios: tuple[tuple[int, int], ...] = ((1, 1),)
    media_max_pixels: int = 40_000_000
    institution_name: str = DEFAULT_INSTITUTION
    institution_place: str = "Mannheim"
    citation_style: str = "apa"
    log_level: str = "INFO"
    log_format: str = "text"
    ratelimit_enabled: bool = True
    ratelimit_auth: str = "20/minute"
    ratelimit_writes: str = "600/minute"
    ratelimit_storage_url: str = "memory://"
    metrics_token: str | None = None
    translation_source: str | None = None
    changes_retention_days: int = 30
    webhooks_allow_hosts: tuple[str, ...] = ()
    webhooks_allow_http: bool = False
    worker_thread: bool = True
    webhooks_timeout: float = 5.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def flask_config(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_upload_bytes,
            "IFM": self,
            **self.extra,
        }


def _instance_dir() -> Path:
    return Path(os.environ.get("IFM_INSTANCE_DIR", Path.cwd() / "instance"))


def _parse_languages(raw: str) -> tuple[str, ...]:
    langs = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not langs:
        raise ConfigError("IFM_LANGUAGES: at least one language code is needed")
    for code in langs:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError) as exc:
            raise ConfigError(f"IFM_LANGUAGES: unknown language code {code!r}") from exc
    if len(set(langs)) != len(langs):
        raise ConfigError("IFM_LANGUAGES: a language is listed twice")
    return langs


def _parse_fallbacks(raw: str | None, languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    chains = {lang: tuple(other for other in languages if other != lang) for lang in languages}
    if not raw:
        return chains
    for part in raw.split(";"):
        if not part.strip():
            continue
        lang, sep, rest = part.partition(":")
        lang = lang.strip().lower()
        chain = tuple(code.strip().lower() for code in rest.split(",") if code.strip())
        if not sep or lang not in languages or any(code not in languages for code in chain):
            raise ConfigError(f"IFM_FALLBACKS: bad entry {part!r} (use e.g. 'en:de;de:en')")
        chains[lang] = chain
    return chains


def _parse_int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}")
    return value


def _parse_url_templates(env: dict[str, str], site_url: str) -> dict[str, str]:
    templates = {}
    for resource in RESOURCES:
        name = f"IFM_URL_{resource.upper()}"
        default = "{site}/{lang}/" + resource.replace("_", "-") + "/{slug}"
        template = env.get(name) or default
        try:
            template.format(site=site_url, lang="de", slug="x", id=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"{name}: bad template {template!r}; use {{site}}, {{lang}}, {{slug}}, {{id}}"
            ) from exc
        templates[resource] = template
    return templates


def _parse_public_url(raw: str | None) -> str | None:
    """``scheme://host[:port][/prefix]``, without query, fragment or credentials."""
    if not raw:
        return None
    value = raw.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        raise ConfigError(f"IFM_PUBLIC_URL: not a URL: {raw!r}") from exc
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ConfigError(
            f"IFM_PUBLIC_URL: expected http(s)://host[:port][/path], got {raw!r} "
            "(e.g. https://api.ifm.example)"
        )
    return value


def _parse_widths(raw: str | None) -> tuple[int, ...]:
    if raw is None or not raw.strip():
        return (160, 320, 640, 1280)
    try:
        widths = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError as exc:
        raise ConfigError(
            f"IFM_MEDIA_WIDTHS: expected widths like 160,320,640, got {raw!r}"
        ) from exc
    if not widths or widths[0] < 16 or widths[-1] > 8192:
        raise ConfigError("IFM_MEDIA_WIDTHS: every width must be between 16 and 8192")
    return tuple(widths)


def _parse_ratios(raw: str | None) -> tuple[tuple[int, int], ...]:
    if raw is None:
        return ((1, 1),)
    ratios: list[tuple[int, int]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        width, sep, height = part.partition(":")
        if not (sep and width.isdigit() and height.isdigit()):
            raise ConfigError(f"IFM_MEDIA_RATIOS: bad ratio {part!r} (use e.g. 1:1,16:9)")
        ratio = (int(width), int(height))
        if not (0 < ratio[0] <= 100 and 0 < ratio[1] <= 100):
            raise ConfigError(f"IFM_MEDIA_RATIOS: bad ratio {part!r} (use e.g. 1:1,16:9)")
        if ratio not in ratios:
            ratios.append(ratio)
    return tuple(ratios)


def _parse_citation_style(name: str) -> str:
    if name not in CITATION_STYLES:
        raise ConfigError(f"IFM_CITATION_STYLE: one of {', '.join(CITATION_STYLES)}, not {name!r}")
    return name


def _parse_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise ConfigError(f"IFM_TIMEZONE: unknown time zone {name!r} (e.g. Europe/Berlin)") from exc
    return name


def _parse_database_url(raw: str | None) -> str:
    if not raw:
        return f"sqlite:///{_instance_dir() / 'ifm.sqlite3'}"
    if raw.startswith("postgres://"):
        raw = "postgresql+psycopg://" + raw.removeprefix("postgres://")
    elif raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    if not raw.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError("DATABASE_URL: only sqlite:/// and postgresql+psycopg:// are supported")
    return raw


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


def _parse_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{name}: one of {', '.join(choices)}, not {raw!r}")
    return raw


def _parse_flag(name: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected 1 or 0, got {raw!r}")


def _parse_rate_limit(name: str, raw: str | None, default: str) -> str:
    """flask-limiter's notation (``20/minute``, ``100 per hour;5/second``), checked now."""
    from limits import parse_many

    value = (raw or "").strip() or default
    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: not a rate limit: {value!r} (e.g. 20/minute)") from exc
    return value


def _parse_storage_url(raw: str | None) -> str:
    value = (raw or "").strip() or "memory://"
    if not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
        raise ConfigError(
            f"IFM_RATELIMIT_STORAGE_URL: memory:// or redis://host:port/db, not {value!r}"
        )
    return value


def _parse_metrics_token(raw: str | None) -> str | None:
    if not raw:
        return None
    if len(raw) < 16 or not raw.isascii() or not raw.isprintable() or " " in raw:
        raise ConfigError(
            "IFM_METRICS_TOKEN: at least 16 printable ASCII characters, no spaces "
            "(e.g. from `openssl rand -hex 24`)"
        )
    return raw


def _ops_settings(env: dict[str, str]) -> dict[str, Any]:
    """Logging, rate limits and metrics (issue 12)."""
    return {
        "log_level": _parse_choice(
            "IFM_LOG_LEVEL", (env.get("IFM_LOG_LEVEL") or "INFO").upper(), LOG_LEVELS
        ),
        "log_format": _parse_choice(
            "IFM_LOG_FORMAT", (env.get("IFM_LOG_FORMAT") or "text").lower(), LOG_FORMATS
        ),
        "ratelimit_enabled": _parse_flag(
            "IFM_RATELIMIT_ENABLED", env.get("IFM_RATELIMIT_ENABLED"), True
        ),
        "ratelimit_auth": _parse_rate_limit(
            "IFM_RATELIMIT_AUTH", env.get("IFM_RATELIMIT_AUTH"), "20/minute"
        ),
        "ratelimit_writes": _parse_rate_limit(
            "IFM_RATELIMIT_WRITES", env.get("IFM_RATELIMIT_WRITES"), "600/minute"
        ),
        "ratelimit_storage_url": _parse_storage_url(env.get("IFM_RATELIMIT_STORAGE_URL")),
        "metrics_token": _parse_metrics_token(env.get("IFM_METRICS_TOKEN")),
    }


def _parse_translation_source(raw: str | None, languages: tuple[str, ...]) -> str | None:
    if not raw or not raw.strip():
        return None
    code = raw.strip().lower()
    if code not in languages:
        raise ConfigError(f"IFM_TRANSLATION_SOURCE: {code!r} is not one of IFM_LANGUAGES")
    return code


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings; raise ConfigError naming the bad variable.

    Without an explicit ``env``: the process environment, completed by a ``.env`` file in the
    working directory (variables already set win).
    """
    if env is None:
        load_dotenv(Path.cwd() / ".env", override=False)
    env = dict(os.environ if env is None else env)
    languages = _parse_languages(env.get("IFM_LANGUAGES", "de,en"))
    site_url = env.get("IFM_SITE_URL", "https://www.example.org").rstrip("/")
    if not site_url.startswith(("http://", "https://")):
        raise ConfigError("IFM_SITE_URL: must start with http:// or https://")
    cors = tuple(o.strip() for o in env.get("IFM_CORS_ORIGINS", "").split(",") if o.strip())
    values: dict[str, Any] = {
        "database_url": _parse_database_url(env.get("DATABASE_URL")),
        "languages": languages,
        "fallbacks": _parse_fallbacks(env.get("IFM_FALLBACKS"), languages),
        "media_root": Path(env.get("IFM_MEDIA_ROOT") or _instance_dir() / "media"),
        "site_url": site_url,
        "url_templates": _parse_url_templates(env, site_url),
        "cors_origins": cors,
        "cache_max_age": _parse_int(env, "IFM_CACHE_MAX_AGE", 60),
        "max_upload_bytes": _parse_int(env, "IFM_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024,
        "secret_key": env.get("SECRET_KEY") or secrets.token_hex(32),
        "timezone": _parse_timezone(env.get("IFM_TIMEZONE") or "Europe/Berlin"),
        "public_url": _parse_public_url(env.get("IFM_PUBLIC_URL")),
        "proxy_count": _parse_int(env, "IFM_PROXY_COUNT", 0),
        "media_widths": _parse_widths(env.get("IFM_MEDIA_WIDTHS")),
        "media_ratios": _parse_ratios(env.get("IFM_MEDIA_RATIOS")),
        "media_max_pixels": _parse_int(env, "IFM_MEDIA_MAX_PIXELS", 40_000_000, minimum=1),
        "institution_name": env.get("IFM_INSTITUTION_NAME") or DEFAULT_INSTITUTION,
        "institution_place": env.get("IFM_INSTITUTION_PLACE") or "Mannheim",
        "citation_style": _parse_citation_style(env.get("IFM_CITATION_STYLE") or "apa"),
        **_ops_settings(env),
        "translation_source": _parse_translation_source(
            env.get("IFM_TRANSLATION_SOURCE"), languages
        ),
        "changes_retention_days": _parse_int(env, "IFM_CHANGES_RETENTION_DAYS", 30, minimum=1),
        "webhooks_allow_hosts": tuple(
            h.strip().lower()
            for h in env.get("IFM_WEBHOOKS_ALLOW_HOSTS", "").split(",")
            if h.strip()
        ),
        "webhooks_allow_http": _parse_flag(
            "IFM_WEBHOOKS_ALLOW_HTTP", env.get("IFM_WEBHOOKS_ALLOW_HTTP"), False
        ),
        "worker_thread": _parse_flag("IFM_WORKER_THREAD", env.get("IFM_WORKER_THREAD"), True),
        "webhooks_timeout": float(_parse_int(env, "IFM_WEBHOOKS_TIMEOUT", 5, minimum=1)),
    }
    values.update(overrides)
    return Settings(**values)
