"""ifm-api: the bilingual content API of the ifm (news, reports, projects, people, areas)."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_babel import Babel
from flask_cors import CORS
from flask_smorest import Api
from flask_smorest.exceptions import NotModified

from ifm_api.config import Settings, load_settings

API_DESCRIPTION = """\
The bilingual (German/English) content API of the Institut für Mittelstandsforschung.

* **Language**: `lang=` query, then `Accept-Language` (q-values, `en-GB` matches `en`), then
  the default language. Missing translations fall back (item and field level), flagged with
  `fallback` and `fallback_fields`; `fallback=false` turns that off. `lang=all` returns every
  translation in the editing shape.
* **Caching**: every read has an `ETag`; `If-None-Match` answers `304`.
* **Editing**: `Authorization: Bearer <token>` (roles `preview` < `editor` < `admin`; no or a
  bad token is `401` with `WWW-Authenticate: Bearer`, too small a role `403`). Bodies take the
  `lang=all` shape; what `GET …/{id}?lang=all&version=draft` returns can be sent back as is
  (its read-only fields are ignored, any unknown field is a `422`). `PATCH` and `DELETE` need
  `If-Match` with that read's `ETag` (missing `428`, stale `412`); publish, unpublish and
  restore check it when given. New items are drafts; publishing is per language and may be
  scheduled (`publish_at`); the public keeps the published version until the next publish.
  `version=draft` and `status=draft|published|all` read working copies (`preview` or higher).
* **Errors**: RFC 9457 problem documents (`application/problem+json`) in the request's language.
  A query parameter an endpoint does not take is a `400` naming the ones it takes (every
  endpoint takes `lang`, the language of its messages).
* **Feeds**: `/feeds/news.{rss,atom,json}` and `/feeds/reports.{rss,atom,json}` (`lang=`,
  `limit=`), advertised in the `Link` header (`rel="alternate"`) of the news and reports
  lists; `/sitemap.xml` for the public website.
"""


def _api_config() -> dict[str, Any]:
    return {
        "API_TITLE": "ifm-api",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": API_DESCRIPTION},
            # Relative to where the document is served: the API's own origin.
            "servers": [{"url": "/", "description": "The server that serves this document."}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
        },
    }


def _register_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the installed package: no CDN, works offline."""

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str) -> Any:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def _vary_on_origin(response: Any) -> Any:
    """With CORS on, a response differs by ``Origin`` (the CORS headers or not) even when one
    origin is allowed, where flask-cors leaves ``Vary: Origin`` out: shared caches must know."""
    from ifm_api.core.http import add_vary

    add_vary(response, "Origin")
    return response


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (a Settings object or Flask config keys)."""
    from ifm_api.changes import feed, webhooks  # noqa: F401  (change log and outbox in writes)
    from ifm_api.core import db, errors, limits, origin
    from ifm_api.core.catalogs import prepare_translations
    from ifm_api.core.http import (
        ApiFlask,
        IdConverter,
        NoSessions,
        TextConverter,
        id_parameter_schema,
        keep_private,
        not_modified_response,
    )
    from ifm_api.core.i18n import message_language
    from ifm_api.core.openapi import ContractApi
    from ifm_api.core.read import (
        build,  # noqa: F401  (keeps the read model in every write)
        tags,
    )

    settings = config if isinstance(config, Settings) else load_settings()
    app = ApiFlask(__name__, static_folder=None)
    app.config.update(settings.flask_config())
    app.config.update(_api_config())
    if isinstance(config, dict):
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.session_interface = NoSessions()

    db.init_app(app, settings.database_url)
    prepare_translations(app)
    Babel(app, locale_selector=message_language, default_locale=settings.default_language)
    if settings.cors_origins:
        CORS(
            app,
            origins=list(settings.cors_origins),
            expose_headers=["ETag", "Link", "Content-Language", "Location"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        )
        app.after_request(_vary_on_origin)

    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["string"] = app.url_map.converters["default"] = TextConverter
    api = ContractApi(app)
    api.register_converter(IdConverter, id_parameter_schema)
    _register_blueprints(api)
    _register_docs_assets(app)
    errors.init_app(app)
    app.after_request(tags.add_headers)
    app.register_error_handler(NotModified, not_modified_response)
    app.after_request(keep_private)
    # Outermost: who the request is addressed to is settled before anything builds a URL.
    app.wsgi_app = origin.wrap(app.wsgi_app, settings)  # type: ignore[method-assign]
    limits.wrap(app)  # in front of all: an oversized request reaches nothing else
    from ifm_api import ops

    ops.init_app(app, settings)  # request ids, logs, headers, rate limits: around all of it
    return app


def _register_blueprints(api: Api) -> None:
    from ifm_api.changes.routes import blp as changes
    from ifm_api.changes.webhook_routes import blp as webhooks
    from ifm_api.exchange.routes import blp as redirects
    from ifm_api.feeds.routes import blp as feeds
    from ifm_api.linked_data.routes import blp as citations
    from ifm_api.media.routes import blp as media
    from ifm_api.news.routes import blp as news
    from ifm_api.ops.routes import blp as ops
    from ifm_api.people.routes import blp as people
    from ifm_api.projects.routes import blp as projects
    from ifm_api.reports.routes import blp as reports
    from ifm_api.research_areas.routes import blp as research_areas
    from ifm_api.search.routes import blp as search
    from ifm_api.tokens.routes import blp as tokens
    from ifm_api.translation.routes import blp as translation

    for blueprint in (
        news,
        reports,
        citations,
        projects,
        people,
        research_areas,
        media,
        tokens,
        redirects,
        feeds,
        ops,
        search,
        translation,
        changes,
        webhooks,
    ):
        api.register_blueprint(blueprint)
