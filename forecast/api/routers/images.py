from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import AuthedRead, AuthedSnapshot
from api.routers import AUTHED, JSONBytes, errors
from api.schemas.images import ImageListResponse
from api.services import images
from api.services.results import StoredImage

router = APIRouter(prefix="/images", tags=["images"], responses=AUTHED)

PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "The PNG chart"},
    304: {"description": "Not modified"},
}
CACHE_CONTROL = "private, max-age=300"


def _png(request: Request, image: StoredImage) -> Response:
    headers = {"ETag": image.etag, "Cache-Control": CACHE_CONTROL}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if "*" in tags or image.etag in tags:
            return Response(status_code=304, headers=headers)
    return Response(image.content, media_type="image/png", headers=headers)


@router.get("/", response_model=ImageListResponse)
@router.get("", response_model=ImageListResponse, include_in_schema=False)
async def list_images(read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(images.list_images))


# Declared before /{image_id} so "models" is never taken for an image id.
@router.get("/models", response_model=ImageListResponse, responses=errors(404))
async def list_model_images(
    read: AuthedRead,
    model: Annotated[str | None, Query(max_length=100, description="Only this model's charts")] = None,
) -> JSONBytes:
    return JSONBytes(read.json(images.list_model_images, model))


@router.get("/backtest/{model}/{horizon}", response_class=Response, responses={**PNG, **errors(404, 422)})
async def backtest_image(
    model: Annotated[str, Path(max_length=100)],
    horizon: Annotated[int, Path(ge=1, le=30)],
    request: Request,
    snapshot: AuthedSnapshot,
) -> Response:
    return _png(request, images.get_backtest_image(snapshot, model, horizon))


@router.get("/{image_id}", response_class=Response, responses={**PNG, **errors(404)})
async def get_image(
    image_id: Annotated[str, Path(max_length=200)], request: Request, snapshot: AuthedSnapshot
) -> Response:
    return _png(request, images.get_image(snapshot, image_id))
