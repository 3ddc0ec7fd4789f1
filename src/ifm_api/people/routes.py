"""HTTP endpoints of people."""

from marshmallow import fields, validate

from ifm_api.core.schemas import list_args_schema
from ifm_api.core.views import content_blueprint
from ifm_api.people.schemas import PersonSchema
from ifm_api.people.service import SPEC

PersonQueryArgs = list_args_schema(
    "PersonQueryArgs",
    list(SPEC.sorts),
    SPEC.default_sort,
    {
        "status": fields.String(validate=validate.OneOf(["current", "alumni"])),
        "research_area": fields.Integer(),
    },
)

blp = content_blueprint(
    SPEC,
    item_schema=PersonSchema,
    list_args=PersonQueryArgs,
    description="Staff and alumni, sorted by family name as German lists are (DIN 5007).",
)
