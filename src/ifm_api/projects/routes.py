"""HTTP endpoints of research projects."""

from marshmallow import fields, validate

from ifm_api.core.schemas import (
    PUBLICATION_STATUSES,
    STATUS_DESCRIPTION,
    id_filter,
    list_args_schema,
)
from ifm_api.core.views import content_blueprint
from ifm_api.projects.schemas import ProjectEditSchema, ProjectSchema
from ifm_api.projects.service import SPEC, STATUSES

ProjectQueryArgs = list_args_schema(
    "ProjectQueryArgs",
    list(SPEC.sorts),
    SPEC.default_sort,
    {
        "status": fields.String(
            validate=validate.OneOf([*STATUSES, *PUBLICATION_STATUSES]),
            metadata={
                "description": "`planned`, `ongoing` or `completed` (from the dates), or for "
                f"editors the publication status. {STATUS_DESCRIPTION} To combine both, "
                "use `version=draft` (all working copies) with a date status."
            },
        ),
        "research_area": id_filter("Only projects of this research area."),
        "person": id_filter("Only projects with this member."),
        "year": fields.Integer(
            validate=validate.Range(min=1900, max=2999),
            metadata={"description": "Only projects running during this year."},
        ),
    },
)

blp = content_blueprint(
    SPEC,
    item_schema=ProjectSchema,
    list_args=ProjectQueryArgs,
    edit_schema=ProjectEditSchema,
    description="Research projects; status (planned, ongoing, completed) follows the dates.",
)
