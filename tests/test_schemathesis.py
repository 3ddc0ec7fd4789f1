"""schemathesis against the app: every operation of the committed document, every check.

The document is the committed one (tests/test_openapi.py checks it equals the generated
one), so an endpoint that lands is covered without a list here. Each operation is one
pytest item per caller (anonymous, editor), so a failure names its operation and caller;
schemathesis prints the request as a curl command.

Bounded for `make test` on a busy machine: a fixed number of examples per operation,
derandomized and seeded (the same cases every run), no shrinking beyond Hypothesis'
default, and no coverage phase (it adds hundreds of boundary cases per operation, minutes
per database; its checks, among them every response check, still run on every case here).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.meta import ComponentInfo
from schemathesis.specs.openapi.checks import positive_data_acceptance

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
# More examples or another seed explore further (not in `make test`): e.g.
# IFM_SCHEMATHESIS_EXAMPLES=200 .venv/bin/pytest tests/test_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("IFM_SCHEMATHESIS_EXAMPLES", "10"))
SEED = int(os.environ.get("IFM_SCHEMATHESIS_SEED", "20261201"))

# Problem types of answers to schema-valid requests that are right although the document
# cannot rule the request out: JSON Schema describes one request, not the database or a
# rule between two query parameters. Each is documented in the operation's description.
RULES_THE_DOCUMENT_CANNOT_STATE = {
    # an id in the body that names no item (or file) of the right kind: 422
    "urn:ifm-api:problem:invalid_reference",
    # `lang=all` together with a citation `format=` (citations are in one language): 400
    "urn:ifm-api:problem:format_needs_language",
    # `version=draft` together with a linked-data `format=` (working copies are JSON): 406
    "urn:ifm-api:problem:draft_only_json",
    # `q=` with `lang=all`, a working copy or a citation format (search is of public
    # one-language reads): 400
    "urn:ifm-api:problem:search_not_here",
    # `q=` without a letter or digit, or with too many words: "a Unicode letter" has no
    # pattern every regex dialect reads alike (ECMA-262's \w is ASCII): 400
    "urn:ifm-api:problem:search_words",
    # an XLIFF body that is no XLIFF 2.0/1.2 document (XML, not JSON Schema): 422
    "urn:ifm-api:problem:xliff_invalid",
    # an upload whose bytes are no PDF/JPEG/PNG/WebP (files are judged by content): 415
    "urn:ifm-api:problem:file_type_not_accepted",
    # a `since=` cursor this feed never gave out (cursors are opaque: any string fits): 400
    "urn:ifm-api:problem:invalid_cursor",
}


def _isbn13(digits: list[int]) -> str:
    check = -sum((3 if i % 2 else 1) * d for i, d in enumerate(digits)) % 10
    return "978" + "".join(map(str, digits[3:])) + str(check)


def _orcid(digits: list[int]) -> str:
    total = 0
    for digit in digits:
        total = (total + digit) * 2
    check = (12 - total % 11) % 11
    plain = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
    return "-".join(plain[i : i + 4] for i in range(0, 16, 4))


# Values of the document's own formats whose check digits a pattern cannot say: valid ones
# (the negative cases come from the patterns around them).
DIGITS = st.integers(min_value=0, max_value=9)
schemathesis.openapi.format(
    "isbn",
    st.lists(DIGITS, min_size=12, max_size=12).map(lambda d: _isbn13([9, 7, 8, *d[3:]])),
)
schemathesis.openapi.format("orcid", st.lists(DIGITS, min_size=15, max_size=15).map(_orcid))


class AppUnderTest:
    """The WSGI app schemathesis calls: the session's Flask app, known once its fixture ran
    (the schema is loaded at import for parametrize). Probes that checks send on their own
    (e.g. `ignored_auth` without the token) go to the same app."""

    target: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.target is not None, "the app fixture has not run"
        return self.target(environ, start_response)


APP = AppUnderTest()
schema = schemathesis.openapi.from_path(
    COMMITTED,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "phases": {"coverage": {"enabled": False}},
            "checks": {
                # A too long URL or header is refused before any parameter is read (414,
                # 431): a rejection of invalid data like the check's default statuses.
                "negative_data_rejection": {
                    "expected-statuses": [
                        *("400", "401", "403", "404", "405", "406", "409", "414", "415"),
                        *("422", "428", "429", "431", "5XX"),
                    ]
                }
            },
        }
    ),
)
schema.app = APP

HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # Generation may be slow on a busy machine and filters for patterns: not a failure.
    suppress_health_check=list(HealthCheck),
)


def _problem_type(response: Response) -> str | None:
    if "problem+json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


def positive_data_acceptance_but_rules(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """`positive_data_acceptance`, except answers naming a rule the document cannot state
    (``RULES_THE_DOCUMENT_CANNOT_STATE``); any other refusal of valid data still fails."""
    if _problem_type(response) in RULES_THE_DOCUMENT_CANNOT_STATE:
        return None
    return positive_data_acceptance(ctx, response, case)


# Every check runs; these are replaced (never just dropped), by name, with the reason.
EXCLUDED = [positive_data_acceptance]  # by positive_data_acceptance_but_rules, see above
ADDITIONAL = [positive_data_acceptance_but_rules]


@pytest.fixture(autouse=True)
def _app_under_test(app: Flask) -> Iterator[None]:
    APP.target = app
    yield
    APP.target = None


def _is_about_authorization(mutation: Any) -> bool:
    named = f"{mutation.parameter} {mutation.path} {mutation.original_value}"
    return "authorization" in named.lower()


def sent_with_the_editors_token(case: schemathesis.Case) -> schemathesis.Case:
    """The editor's token replaces the ``Authorization`` a case was generated with: a case
    whose only negative header is a missing or broken ``Authorization`` is sent with valid
    headers, and judged so (schemathesis then still checks its other negative parts, and
    exempts, as the document allows, a body whose only fault is a read-only property)."""
    meta = case.meta
    header = ParameterLocation.HEADER
    if meta is None or header not in meta.components:
        return case
    if not meta.components[header].mode.is_negative:
        return case
    mutations = [m for m in meta.phase.data.mutations if m.parameter_location == header]
    if mutations and all(_is_about_authorization(m) for m in mutations):
        meta.components[header] = ComponentInfo(mode=schemathesis.GenerationMode.POSITIVE)
    return case


@pytest.fixture
def editor(token: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return token("editor")


@schema.parametrize()
@HYPOTHESIS
def test_anonymous_caller_gets_what_the_document_says(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED, additional_checks=ADDITIONAL)


@schema.parametrize()
@HYPOTHESIS
def test_editor_gets_what_the_document_says(
    case: schemathesis.Case, editor: dict[str, str]
) -> None:
    sent_with_the_editors_token(case).call_and_validate(
        headers=editor, excluded_checks=EXCLUDED, additional_checks=ADDITIONAL
    )
