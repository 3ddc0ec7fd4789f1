"""``GET /metrics``: off by default, behind its own token, parsed with prometheus-client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from ifm_api import create_app
from ifm_api.config import ConfigError, load_settings
from ifm_api.ops.metrics import GAUGES, register_gauge

METRICS_TOKEN = "metrics-" + "s3cr3t" * 4


@pytest.fixture
def scraped(database_url: str, media_root: Path) -> FlaskClient:
    env = {
        "DATABASE_URL": database_url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_METRICS_TOKEN": METRICS_TOKEN,
    }
    return create_app(load_settings(env)).test_client()


def scrape(client: FlaskClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


def test_metrics_are_off_without_a_token_setting(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    bearer = {"Authorization": "Bearer anything-at-all-goes-here"}
    assert client.get("/metrics", headers=bearer).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": "Basic eA=="}],
)
def test_metrics_need_their_token(scraped: FlaskClient, headers: dict[str, str]) -> None:
    response = scraped.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"ifm_http_requests" not in response.data


def test_metrics_parse_and_count_a_request(scraped: FlaskClient) -> None:
    route = "/api/v1/news/<int:item_id>"
    before = value(scrape(scraped), "ifm_http_requests_total", route=route, status="404")
    assert scraped.get("/api/v1/news/999999").data
    samples = scrape(scraped)
    assert value(samples, "ifm_http_requests_total", route=route, status="404") == before + 1
    assert value(samples, "ifm_http_request_duration_seconds_count", route=route) >= 1
    # Routes, not raw paths: the id is not a label value.
    assert not any("999999" in str(labels) for labels, _v in samples["ifm_http_requests_total"])
    assert value(samples, "ifm_http_requests_total", route="<unmatched>") >= 0
    assert value(samples, "ifm_db_pool_size", pool="main") >= 1
    (info,) = samples["ifm_build_info"]
    assert info[0]["version"] and info[0]["migration_head"] and info[1] == 1


def test_every_pool_of_the_process_is_reported(scraped: FlaskClient, database_url: str) -> None:
    """On PostgreSQL the public reads have a pool of their own: it shows beside the main one,
    and a read it has served holds a connection in it."""
    assert scraped.get("/api/v1/news?lang=de").status_code == 200
    samples = scrape(scraped)
    pools = {labels["pool"] for labels, _v in samples["ifm_db_pool_size"]}
    checked_out = {labels["pool"] for labels, _v in samples["ifm_db_pool_checked_out"]}
    expected = {"main", "reads"} if database_url.startswith("postgresql") else {"main"}
    assert pools == checked_out == expected
    if database_url.startswith("postgresql"):
        assert value(samples, "ifm_db_pool_size", pool="reads") >= 1
        assert value(samples, "ifm_db_pool_checked_out", pool="reads") == 0


def test_a_registered_gauge_is_read_at_scrape_time(scraped: FlaskClient) -> None:
    register_gauge("ifm_test_backlog", "A backlog for this test.", lambda: 7)
    register_gauge("ifm_test_broken", "A gauge that fails.", lambda: 1 / 0)
    try:
        samples = scrape(scraped)
    finally:
        GAUGES.pop("ifm_test_backlog")
        GAUGES.pop("ifm_test_broken")
    assert value(samples, "ifm_test_backlog") == 7
    assert "ifm_test_broken" not in samples


def test_a_short_metrics_token_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="IFM_METRICS_TOKEN"):
        load_settings({"IFM_METRICS_TOKEN": "short"})
