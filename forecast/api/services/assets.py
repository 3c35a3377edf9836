"""The assets of one run snapshot, the default (first) one first."""

from __future__ import annotations

from api.schemas.assets import AssetInfo, AssetListResponse
from api.services.results import Snapshot


def list_assets(snapshot: Snapshot) -> AssetListResponse:
    views = [snapshot.for_asset(name) for name in snapshot.asset_names]
    assets = [
        AssetInfo(
            name=view.asset,
            source=(data := view.bundle.summary.data).source,
            price_column=data.price_column,
            n_rows=data.n_rows,
            start_date=data.start_date,
            end_date=data.end_date,
            last_price=data.last_price,
            last_date=data.last_date,
            has_volume=data.has_volume,
            default=view is snapshot,
        )
        for view in views
    ]
    return AssetListResponse(run_id=snapshot.run_id, assets=assets, total=len(assets), default_asset=snapshot.asset)
