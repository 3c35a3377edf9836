"""Chart metadata and PNG bytes of one run snapshot (ids are stable within a run)."""

from __future__ import annotations

from api.schemas.images import ImageListResponse, ImageMetadata
from api.services.forecasts import require_model
from api.services.results import Snapshot, StoredImage
from servicekit.errors import APIError

# Charts about the models themselves: cross-model charts plus anything tied to one model.
_MODEL_CHART_TYPES = {"model_ranking", "metrics_heatmap"}


def _metadata(snapshot: Snapshot) -> list[ImageMetadata]:
    return [img.entry.metadata for img in snapshot.images.values()]


def list_images(snapshot: Snapshot) -> bytes:
    def build() -> ImageListResponse:
        images = _metadata(snapshot)
        return ImageListResponse(images=images, total=len(images))

    return snapshot.json_bytes(("images",), build)


def list_model_images(snapshot: Snapshot, model: str | None) -> bytes:
    def build() -> ImageListResponse:
        if model is not None:
            require_model(snapshot, model)
        images = [
            m
            for m in _metadata(snapshot)
            if (m.model_name is not None or m.image_type in _MODEL_CHART_TYPES)
            and (model is None or m.model_name == model)
        ]
        return ImageListResponse(images=images, total=len(images))

    return snapshot.json_bytes(("model_images", model), build)


def get_image(snapshot: Snapshot, image_id: str) -> StoredImage:
    image = snapshot.images.get(image_id)
    if image is None:
        raise APIError(404, f"Image {image_id!r} is not in run {snapshot.run_id}", error="image_not_found")
    return image


def get_backtest_image(snapshot: Snapshot, model: str, horizon: int) -> StoredImage:
    require_model(snapshot, model)
    for image in snapshot.images.values():
        meta = image.entry.metadata
        if meta.image_type == "backtest_equity" and meta.model_name == model and meta.horizon == horizon:
            return image
    raise APIError(
        404,
        f"Run {snapshot.run_id} has no backtest chart for {model!r} at horizon {horizon}",
        error="image_not_found",
    )
