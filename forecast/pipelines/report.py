"""The CLI's closing summary: every DA beside always-up, every named model beside its edge, the verdict."""

from __future__ import annotations

from pathlib import Path

from pipelines.assemble import Assembled


def closing_summary(
    a: Assembled, models: list[str], horizons: list[int], alpha: float, final: Path | str, seconds: float
) -> str:
    row = {(m.model_name, m.horizon): m for m in a.metrics}
    head = f"{'model':<17}" + "".join(f"{'h=' + str(h):>8}" for h in horizons) + f"{'mean':>8}"
    lines = [
        "",
        f"Out-of-sample directional accuracy (%); * = beats always-up, Holm-adjusted p < {alpha:g}",
        head,
        "-" * len(head),
    ]
    for m in sorted(models, key=lambda m: -a.avg_da_by_model[m]):
        cells = "".join(
            f"{row[(m, h)].da_test:>7.1f}{'*' if row[(m, h)].p_value_adjusted < alpha else ' '}" for h in horizons
        )
        lines.append(f"{m:<17}{cells}{a.avg_da_by_model[m]:>8.1f}")
    base = {b.horizon: b for b in a.baselines}
    lines.append(f"{'always up':<17}" + "".join(f"{base[h].always_up_da:>7.1f} " for h in horizons))
    lines.append(f"{'last h-day sign':<17}" + "".join(f"{base[h].last_sign_da:>7.1f} " for h in horizons))
    cons = {c.horizon: c for c in a.consensus}
    lines.append(
        f"{'consensus':<17}"
        + "".join(f"{cons[h].consensus_direction + ('' if cons[h].signal == 'skill' else '~'):>7} " for h in horizons)
    )
    lines.append("(~ = no model beats always-up here: the consensus is the drift forecast)")
    lines += [
        "",
        "Per horizon: best model on the selection block, its edge over always-up on the hold-out, "
        "SPA p (adjusted across horizons)",
    ]
    for s in a.skill_by_horizon:
        lines.append(
            f"  h={s.horizon:<3} always-up {s.baseline_da:5.1f}%  best {s.best_model:<16} edge "
            f"{s.best_edge:+5.1f} pp  SPA p {s.spa_p_value:.3f} ({s.spa_p_value_adjusted:.3f})  "
            f"{'BEATS BASELINE' if s.beats_baseline else 'no edge'}"
        )
    lines += [
        "",
        f"verdict: {a.verdict}",
        f"best model overall: {a.best_model_overall} (edge over always-up: {a.best_model_edge:+.1f} pp "
        f"over all test points, {a.best_model_holdout_edge:+.1f} pp on the hold-out)",
        f"published: {final}   wall time: {seconds:.1f}s",
    ]
    return "\n".join(lines)
