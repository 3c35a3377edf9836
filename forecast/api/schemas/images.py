"""The image list the API serves; its items are the run's own (runcontract.images)."""

from pydantic import BaseModel

from runcontract.images import ImageMetadata, ImageType

__all__ = ["ImageListResponse", "ImageMetadata", "ImageType"]


class ImageListResponse(BaseModel):
    images: list[ImageMetadata]
    total: int
