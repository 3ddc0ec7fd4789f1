"""HTTP endpoints of research areas."""

from ifm_api.core.schemas import list_args_schema
from ifm_api.core.views import content_blueprint
from ifm_api.research_areas.schemas import ResearchAreaEditSchema, ResearchAreaSchema
from ifm_api.research_areas.service import SPEC

ResearchAreaQueryArgs = list_args_schema(
    "ResearchAreaQueryArgs", list(SPEC.sorts), SPEC.default_sort, {}
)

blp = content_blueprint(
    SPEC,
    item_schema=ResearchAreaSchema,
    list_args=ResearchAreaQueryArgs,
    edit_schema=ResearchAreaEditSchema,
    description="The institute's research areas (teams).",
)
