"""Every table, imported in one place (for Alembic and for the app)."""

from ifm_api.changes.models import ChangeFeedState, ChangeRecord, ScheduledChange, ToldState
from ifm_api.changes.webhook_models import Webhook, WebhookDelivery
from ifm_api.core.auth import ApiToken
from ifm_api.core.cache import ContentState
from ifm_api.core.db import Base
from ifm_api.core.models import (
    ContentEntity,
    ContentLink,
    Media,
    MediaTranslation,
    Revision,
    SlugRedirect,
)
from ifm_api.core.read.model import PublicItem, PublicItemLink, ReadModelState
from ifm_api.exchange.models import LegacySource, Redirect
from ifm_api.news.models import NewsItem, NewsItemTranslation
from ifm_api.people.models import Person, PersonTranslation
from ifm_api.projects.models import Project, ProjectTranslation
from ifm_api.reports.models import Report, ReportFile, ReportTranslation
from ifm_api.research_areas.models import ResearchArea, ResearchAreaTranslation
from ifm_api.search.index import include_name
from ifm_api.search.models import SearchEntry
from ifm_api.translation.models import FieldChange

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Base",
    "ChangeFeedState",
    "ChangeRecord",
    "ContentEntity",
    "ContentLink",
    "ContentState",
    "FieldChange",
    "LegacySource",
    "Media",
    "MediaTranslation",
    "NewsItem",
    "NewsItemTranslation",
    "Person",
    "PersonTranslation",
    "Project",
    "ProjectTranslation",
    "PublicItem",
    "PublicItemLink",
    "ReadModelState",
    "Redirect",
    "Report",
    "ReportFile",
    "ReportTranslation",
    "ResearchArea",
    "ResearchAreaTranslation",
    "Revision",
    "ScheduledChange",
    "SearchEntry",
    "SlugRedirect",
    "ToldState",
    "Webhook",
    "WebhookDelivery",
    "include_name",
    "metadata",
]
