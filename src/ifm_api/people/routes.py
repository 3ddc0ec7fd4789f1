"""HTTP endpoints of people."""

from marshmallow import fields, validate

from ifm_api.core.schemas import (
    PUBLICATION_STATUSES,
    STATUS_DESCRIPTION,
    id_filter,
    list_args_schema,
)
from ifm_api.core.views import content_blueprint
from ifm_api.people.schemas import PersonEditSchema, PersonSchema
from ifm_api.people.service import SPEC

PersonQueryArgs = list_args_schema(
    "PersonQueryArgs",
    list(SPEC.sorts),
    SPEC.default_sort,
    {
        "status": fields.String(
            validate=validate.OneOf(["current", "alumni", *PUBLICATION_STATUSES]),
            metadata={
                "description": "`current` (staff) or `alumni`, or for editors the "
                f"publication status. {STATUS_DESCRIPTION} To combine both, use "
                "`version=draft` (all working copies) with `current` or `alumni`."
            },
        ),
        "research_area": id_filter("Only people of this research area."),
    },
)

blp = content_blueprint(
    SPEC,
    item_schema=PersonSchema,
    list_args=PersonQueryArgs,
    edit_schema=PersonEditSchema,
    description="Staff and alumni, sorted by family name as German lists are (DIN 5007).",
)
