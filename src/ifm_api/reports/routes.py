"""HTTP endpoints of reports."""

from marshmallow import fields, validate

from ifm_api.core.schemas import id_filter, list_args_schema
from ifm_api.core.views import content_blueprint
from ifm_api.reports.models import REPORT_TYPES
from ifm_api.reports.schemas import ReportEditSchema, ReportSchema
from ifm_api.reports.service import SPEC

ReportQueryArgs = list_args_schema(
    "ReportQueryArgs",
    list(SPEC.sorts),
    SPEC.default_sort,
    {
        "type": fields.String(validate=validate.OneOf(REPORT_TYPES)),
        "person": id_filter("Only reports by this person id."),
        "project": id_filter("Only reports of this project."),
        "year": fields.Integer(validate=validate.Range(min=1900, max=2999)),
    },
)

blp = content_blueprint(
    SPEC,
    item_schema=ReportSchema,
    list_args=ReportQueryArgs,
    edit_schema=ReportEditSchema,
    description="Publications (short reports, final reports, working papers, …) with files.",
)
