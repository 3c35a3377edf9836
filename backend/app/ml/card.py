"""The optional model card: ``model.json`` (or ``<model stem>.json``) beside the pickle.

Every key is optional::

    {
      "version": "demo-synthetic-v1",
      "model_sha256": "<sha256 of the .pkl this card describes>",
      "positive_class": 1,
      "label_names": {"positive": "Aprobar", "negative": "Desaprobar"},
      "features": [
        {"name": "PTJE_INGRESO", "default": 130.0, "min": 0, "max": 200, "description": "..."},
        "EDAD"
      ]
    }

``labels`` is accepted as an alias of ``label_names`` when it is an object with ``positive`` /
``negative`` keys. When ``model_sha256`` is present and does not match the pickle, the card is
ignored: that is what happens when the team drops its own ``model.pkl`` over the demo model and
forgets the demo card beside it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.ml.featurizer import FeatureSpec

DEFAULT_POSITIVE_LABEL = "Aprobar"
DEFAULT_NEGATIVE_LABEL = "Desaprobar"


class CardError(ValueError):
    """The card exists but cannot be used; the message says why."""


@dataclass(frozen=True)
class ModelCard:
    path: Path
    version: str | None = None
    model_sha256: str | None = None
    positive_class: Any = None
    has_positive_class: bool = False
    positive_label: str = DEFAULT_POSITIVE_LABEL
    negative_label: str = DEFAULT_NEGATIVE_LABEL
    features: tuple[FeatureSpec, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def find_card(model_path: Path) -> Path | None:
    """``<stem>.json`` wins over ``model.json`` so several models can share a folder."""
    for candidate in (model_path.with_suffix(".json"), model_path.parent / "model.json"):
        if candidate.is_file():
            return candidate
    return None


def _optional_number(entry: dict[str, Any], key: str, feature: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CardError(f"feature {feature!r}: {key!r} must be a finite number")
    return float(value)


def _parse_feature(entry: Any) -> FeatureSpec:
    if isinstance(entry, str):
        return FeatureSpec(name=entry)
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise CardError("each feature must be a name or an object with a 'name'")
    name = entry["name"]
    spec = FeatureSpec(
        name=name,
        default=_optional_number(entry, "default", name),
        minimum=_optional_number(entry, "min", name),
        maximum=_optional_number(entry, "max", name),
        description=entry.get("description") if isinstance(entry.get("description"), str) else None,
    )
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        raise CardError(f"feature {name!r}: min is greater than max")
    if spec.default is not None and (
        (spec.minimum is not None and spec.default < spec.minimum)
        or (spec.maximum is not None and spec.default > spec.maximum)
    ):
        raise CardError(f"feature {name!r}: default lies outside min/max")
    return spec


def _label_names(raw: dict[str, Any]) -> tuple[str, str]:
    names = raw.get("label_names")
    if not isinstance(names, dict):
        labels = raw.get("labels")
        names = labels if isinstance(labels, dict) else {}
    positive = names.get("positive", DEFAULT_POSITIVE_LABEL)
    negative = names.get("negative", DEFAULT_NEGATIVE_LABEL)
    if not isinstance(positive, str) or not isinstance(negative, str) or positive == negative:
        raise CardError("label_names.positive and label_names.negative must be two different strings")
    return positive, negative


def load_card(card_path: Path) -> ModelCard:
    try:
        raw = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CardError(f"cannot read {card_path.name}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CardError(f"{card_path.name} must hold a JSON object")

    features_raw = raw.get("features", [])
    if not isinstance(features_raw, list):
        raise CardError("'features' must be a list")
    features = tuple(_parse_feature(entry) for entry in features_raw)
    names = [spec.name for spec in features]
    if len(set(names)) != len(names):
        raise CardError("feature names must be unique")

    version = raw.get("version")
    sha = raw.get("model_sha256")
    positive, negative = _label_names(raw)
    return ModelCard(
        path=card_path,
        version=str(version) if version not in (None, "") else None,
        model_sha256=sha.lower() if isinstance(sha, str) and sha else None,
        positive_class=raw.get("positive_class"),
        has_positive_class="positive_class" in raw and raw["positive_class"] is not None,
        positive_label=positive,
        negative_label=negative,
        features=features,
        raw=raw,
    )
