"""One published run, validated and held in memory: what every store (folder or PostgreSQL) builds.

A store hands :func:`build_snapshot` the run's bundle document and a way to read the run's files; the
snapshot never changes once built, so a request that took one reads a single run throughout.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from api.services.errors import AssetNotFound
from runcontract.run import BUNDLE_SCHEMA_VERSION, RUN_BUNDLE_FILE, RunBundle, RunImage
from servicekit.logging import get_logger
from servicekit.timestamps import utc_now

log = get_logger(__name__)

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class RunLoadError(Exception):
    pass


class RunMissing(RunLoadError):
    """The store holds no run of this id."""


@dataclass(frozen=True, slots=True)
class StoredImage:
    entry: RunImage
    content: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One validated run plus read indexes; never changes once built.

    ``bundle`` and ``images`` are those of the run's first asset (the top level of the bundle);
    ``for_asset`` gives the same run seen through another of its assets."""

    run_id: str
    run_dir: Path | None  # the folder store's run directory; None for a run read from PostgreSQL
    bundle: RunBundle
    loaded_at: datetime
    images: dict[str, StoredImage]
    asset_names: tuple[str, ...] = ()  # the run's assets, the default (first) one first
    other_assets: dict[str, Snapshot] = field(default_factory=dict)  # every asset but the first

    @property
    def asset(self) -> str:
        """The asset this snapshot serves."""
        return self.asset_names[0]

    def for_asset(self, name: str | None) -> Snapshot:
        """The run as one asset sees it (None: the first); AssetNotFound for an asset the run lacks."""
        if name is None or name == self.asset_names[0]:
            return self
        found = self.other_assets.get(name)
        if found is None:
            raise AssetNotFound(
                f"Asset {name!r} is not in run {self.run_id}; its assets: " + ", ".join(self.asset_names)
            )
        return found


def _png_dimensions(content: bytes) -> tuple[int, int]:
    if len(content) < 24 or not content.startswith(_PNG_SIGNATURE) or content[12:16] != b"IHDR":
        raise RunLoadError("not a PNG file")
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _schema_version(document: bytes | dict[str, Any]) -> object:
    """The bundle's schema_version, or None when the document is not a JSON object (validation says why)."""
    if isinstance(document, dict):
        return document.get("schema_version")
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return parsed.get("schema_version") if isinstance(parsed, dict) else None


def _validate(run_id: str, document: bytes | dict[str, Any]) -> RunBundle:
    version = _schema_version(document)
    if version is not None and version != BUNDLE_SCHEMA_VERSION:
        raise RunLoadError(
            f"run {run_id}: {RUN_BUNDLE_FILE} has bundle schema {version}, this API reads {BUNDLE_SCHEMA_VERSION}; "
            "run the pipeline again to publish a run it can serve"
        )
    try:
        if isinstance(document, dict):
            return RunBundle.model_validate(document)
        return RunBundle.model_validate_json(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise RunLoadError(
            f"run {run_id}: {RUN_BUNDLE_FILE} fails validation ({exc.error_count()} errors; "
            f"first: {where or 'document'}: {first.get('msg')})"
        ) from exc


def _load_images(run_id: str, entries: list[RunImage], read_file: Callable[[str], bytes]) -> dict[str, StoredImage]:
    images: dict[str, StoredImage] = {}
    for entry in entries:
        content = read_file(entry.file)
        try:
            width, height = _png_dimensions(content)
        except RunLoadError as exc:
            raise RunLoadError(f"run {run_id}: image {entry.file} is not a PNG") from exc
        meta = entry.metadata
        if meta.dimensions != (width, height) or meta.file_size_bytes != len(content):
            log.warning("image_metadata_corrected", run_id=run_id, image_id=meta.image_id)
            meta = meta.model_copy(update={"dimensions": (width, height), "file_size_bytes": len(content)})
            entry = entry.model_copy(update={"metadata": meta})
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        images[meta.image_id] = StoredImage(entry=entry, content=content, etag=etag)
    return images


def _with_images(bundle: RunBundle, images: dict[str, StoredImage]) -> RunBundle:
    if not images:
        return bundle
    return bundle.model_copy(update={"images": [img.entry for img in images.values()]})


def build_snapshot(
    run_id: str,
    document: bytes | dict[str, Any],
    read_file: Callable[[str], bytes],
    run_dir: Path | None = None,
) -> Snapshot:
    """Validates one run's bundle and loads its charts, every asset's; ``read_file(relative path)``
    raises RunLoadError for a file it cannot read. Raises RunLoadError with a readable reason."""
    bundle = _validate(run_id, document)
    if bundle.summary.run_id != run_id:
        raise RunLoadError(f"run {run_id}: summary.run_id is {bundle.summary.run_id!r}")
    loaded_at = utc_now()
    names = tuple(bundle.asset_names())
    images = _load_images(run_id, bundle.images, read_file)
    others: dict[str, Snapshot] = {}
    for asset in bundle.assets[1:]:
        if asset.summary.run_id != run_id:
            raise RunLoadError(f"run {run_id}: asset {asset.name}'s summary.run_id is {asset.summary.run_id!r}")
        asset_images = _load_images(run_id, asset.images, read_file)
        view = _with_images(bundle.for_asset(asset), asset_images)
        # The asset's name first: Snapshot.asset names the asset a snapshot serves.
        order = (asset.name, *(n for n in names if n != asset.name))
        others[asset.name] = Snapshot(run_id, run_dir, view, loaded_at, asset_images, order)
    top = _with_images(bundle, images)
    return Snapshot(run_id, run_dir, top, loaded_at, images, names, others)
