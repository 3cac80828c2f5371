"""/readyz: ready when the KB is loaded and every configured store answers; else 503 naming the one that does not."""


def test_ready_with_nothing_but_the_kb(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json() == {"ready": True, "checks": {"kb": "ok"}}


def test_ready_when_the_configured_redis_answers(make_app, redis_server):
    r = make_app(REDIS_URL=redis_server.url).test_client().get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"]["redis"] == "ok"


def test_not_ready_when_the_configured_redis_does_not_answer(make_app, redis_server):
    client = make_app(REDIS_URL=redis_server.url).test_client()
    redis_server.stop()
    r = client.get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["redis"].startswith("not reachable")


def test_not_ready_when_the_configured_database_does_not_answer(make_app):
    r = make_app(DATABASE_URL="postgresql://authdoctor@127.0.0.1:1/authdoctor").test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["database"] != "ok"


def test_readiness_and_metrics_are_served_whatever_the_doors(make_app):
    client = make_app(DOORS={"slack"}).test_client()
    assert client.get("/readyz").status_code == 200 and client.get("/metrics").status_code == 200
