import pytest


def test_healthz_reports_database_and_broker(db, client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["database"]["ok"] and body["broker"]["ok"]


def test_healthz_is_503_when_the_broker_is_down(db, client, settings):
    from portalgov.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


@pytest.mark.parametrize("path", ["/no/such/page", "/o/nope/"])
def test_unknown_pages_render_the_404_page(db, client, path, world):
    client.force_login(world.alice)
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
