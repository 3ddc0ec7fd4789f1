"""HTTP endpoints of the change feed."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from ifm_api.changes import feed
from ifm_api.changes.schemas import ChangesArgs, ChangesPageSchema
from ifm_api.core import db
from ifm_api.core.db import utcnow
from ifm_api.core.i18n import select_language
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.views import API_PREFIX

blp = ApiBlueprint(
    "changes",
    __name__,
    url_prefix=API_PREFIX,
    description="What changed for the public, in commit order, for frontends and caches to "
    "follow. Take the cursor of `GET /changes` before a full sync, then follow the feed "
    "from it: every change after the cursor arrives exactly once, scheduled publications "
    "when their time comes.",
)


def _state() -> feed.FeedState:
    """The feed's state, after moving in scheduled changes whose time has come."""
    session = db.session()
    state = feed.read_state(session)
    now = utcnow()
    if state is None or (state.next_due is not None and state.next_due <= now):
        with db.transaction() as writing:
            feed.lock(writing)
            if state is None:
                feed.ensure_state(writing)
            feed.promote_due(writing, now)
        state = feed.read_state(session)
        assert state is not None
    return state


@blp.route("/changes")
class Changes(MethodView):
    @blp.arguments(ChangesArgs, location="query", error_status_code=400)
    @blp.response(200, ChangesPageSchema, description="Changes after the cursor, in order.")
    @blp.alt_response(400, schema=ProblemSchema, description="An invalid cursor or parameter.")
    @blp.alt_response(
        410, schema=ProblemSchema, description="The cursor expired: start with a full sync."
    )
    @blp.doc(operationId="listChanges")
    def get(self, args: dict[str, Any]) -> Any:
        """Public changes after a cursor (at most 500 per page)."""
        langs = [select_language()] if request.args.get("lang") is not None else []
        state = _state()
        since = args.get("since")
        settings = current_app.config["IFM"]
        if since is None:
            page = feed.Page([], feed.encode_cursor(state.epoch, state.last_id), False)
        else:
            after = feed.check_cursor(state, since, settings.changes_retention_days)
            page = feed.read_page(
                db.session(),
                state,
                after,
                types=[args["type"]] if args.get("type") else [],
                langs=langs,
                limit=args["limit"],
                with_items=args.get("fields_") != "ids",
            )
        api_root = request.url_root.rstrip("/") + API_PREFIX
        body = feed.render_page(page, api_root, with_items=args.get("fields_") != "ids")
        response = Response(body, mimetype="application/json")
        response.headers["Cache-Control"] = "no-cache"
        return response
