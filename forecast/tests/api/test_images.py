from io import BytesIO

from PIL import Image


async def test_image_list_gives_true_dimensions_and_sizes(client, auth, published):
    body = (await client.get("/api/v1/images/", headers=auth)).json()
    assert body["total"] == len(body["images"]) == 7
    for meta in body["images"]:
        png = await client.get(f"/api/v1/images/{meta['image_id']}", headers=auth)
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert len(png.content) == meta["file_size_bytes"]
        assert Image.open(BytesIO(png.content)).size == tuple(meta["dimensions"])
        assert meta["generated_at"].endswith("Z")
    assert (await client.get("/api/v1/images", headers=auth)).json() == body


async def test_images_carry_etag_and_cache_control_and_answer_304(client, auth, published):
    first = await client.get("/api/v1/images/model_ranking", headers=auth)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private")
    again = await client.get("/api/v1/images/model_ranking", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag and again.content == b""


async def test_model_images_are_the_model_charts(client, auth, published):
    body = (await client.get("/api/v1/images/models", headers=auth)).json()
    types = {m["image_type"] for m in body["images"]}
    assert "forecast_fan_chart" not in types and {"model_ranking", "backtest_equity"} <= types
    ridge = (await client.get("/api/v1/images/models", params={"model": "ridge"}, headers=auth)).json()
    assert ridge["total"] >= 1 and {m["model_name"] for m in ridge["images"]} == {"ridge"}


async def test_backtest_image_by_model_and_horizon(client, auth, published):
    response = await client.get("/api/v1/images/backtest/ridge/10", headers=auth)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert (await client.get("/api/v1/images/backtest/ridge/5", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/images/backtest/nope/10", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/images/backtest/ridge/99", headers=auth)).status_code == 422


async def test_unknown_image_is_a_404(client, auth, published):
    response = await client.get("/api/v1/images/does-not-exist", headers=auth)
    assert response.status_code == 404
    assert response.json()["error"] == "image_not_found"
