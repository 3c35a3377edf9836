"""Chart metadata and PNG bytes of one run snapshot (ids are stable within a run)."""

from __future__ import annotations

from api.schemas.images import ImageListResponse, ImageMetadata
from api.services.errors import ImageNotFound
from api.services.forecasts import require_model
from api.services.results import Snapshot, StoredImage

# Charts about the models themselves: cross-model charts plus anything tied to one model.
_MODEL_CHART_TYPES = {"model_ranking", "metrics_heatmap"}


def _metadata(snapshot: Snapshot) -> list[ImageMetadata]:
    return [img.entry.metadata for img in snapshot.images.values()]


def list_images(snapshot: Snapshot) -> ImageListResponse:
    images = _metadata(snapshot)
    return ImageListResponse(images=images, total=len(images))


def list_model_images(snapshot: Snapshot, model: str | None) -> ImageListResponse:
    if model is not None:
        require_model(snapshot, model)
    images = [
        m
        for m in _metadata(snapshot)
        if (m.model_name is not None or m.image_type in _MODEL_CHART_TYPES) and (model is None or m.model_name == model)
    ]
    return ImageListResponse(images=images, total=len(images))


def get_image(snapshot: Snapshot, image_id: str) -> StoredImage:
    image = snapshot.images.get(image_id)
    if image is None:
        raise ImageNotFound(f"Image {image_id!r} is not in run {snapshot.run_id}")
    return image


def get_backtest_image(snapshot: Snapshot, model: str, horizon: int) -> StoredImage:
    require_model(snapshot, model)
    for image in snapshot.images.values():
        meta = image.entry.metadata
        if meta.image_type == "backtest_equity" and meta.model_name == model and meta.horizon == horizon:
            return image
    raise ImageNotFound(f"Run {snapshot.run_id} has no backtest chart for {model!r} at horizon {horizon}")
