"""HTTP endpoints of news items."""

from marshmallow import fields, validate

from ifm_api.core.schemas import Text, id_filter, list_args_schema
from ifm_api.core.views import content_blueprint
from ifm_api.news.schemas import NewsItemEditSchema, NewsItemSchema
from ifm_api.news.service import SPEC

NewsQueryArgs = list_args_schema(
    "NewsQueryArgs",
    list(SPEC.sorts),
    SPEC.default_sort,
    {
        "tag": Text(metadata={"description": "Only items with this tag."}),
        "person": id_filter("Only items linked to this person id."),
        "project": id_filter("Only items linked to this project."),
        "report": id_filter("Only items linked to this report."),
        "year": fields.Integer(validate=validate.Range(min=1900, max=2999)),
    },
)

blp = content_blueprint(
    SPEC,
    item_schema=NewsItemSchema,
    list_args=NewsQueryArgs,
    edit_schema=NewsItemEditSchema,
    description="News items of the institute, newest first.",
)
