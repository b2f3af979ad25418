"""``estimates.wal``: the WAL rate now, and under ``wal_level=logical`` with the current and the
recommended replica identities.

The measured rate is the denominator; a predictor (pg_walinspect when it was readable, the
statistics views otherwise) adds the extra bytes of each operation over the same window. The
overhead ratio = extra bytes / measured bytes of that window, and the logical rate = the measured
rate x (1 + ratio):

- ``expected``: window mean x (1 + expected ratio);
- ``low``: min(p50, mean) x (1 + low ratio); ``high``: max(p95, mean) x (1 + high ratio);
- each ratio's low/high come from the row-width and count uncertainty of every component,
  plus the predictor's lab error (±1% statistics, ±0.5% pg_walinspect, wal_overhead.md §4).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from audit.estimate import overhead as oh
from audit.estimate import rate as rt
from audit.estimate import wal_bytes as wb
from audit.estimate.model import (
    CrossCheck,
    IdentityChange,
    LogicalRate,
    Ratio,
    RecommendedIdentities,
    RowWidths,
    WalEstimates,
    WalRate,
    WalTable,
)
from audit.estimate.options import EstimateOptions
from audit.estimate.result import Range
from audit.estimate.wal_model import modelled_wal
from audit.estimate.widths import row_widths
from audit.facts import Facts, ReplicaIdentity, Table
from audit.facts.capacity import ReadProbeTable

PER_TABLE_LIMIT = 25


@dataclass(frozen=True)
class WalResult:
    estimates: WalEstimates
    logical_rate: Range | None
    logical_p95: float | None
    recommended_rate: Range | None
    widths: Mapping[str, RowWidths]
    window_seconds: float | None


class TableWidths(Mapping[str, RowWidths]):
    """Each table's row widths (:func:`~audit.estimate.widths.row_widths`), by qualified name;
    tables with no width are absent.

    A table's widths are worked out the first time they are asked for, then kept: the estimates
    read those of the tables changed in the sampling window and of the few largest ones, not of
    every table of a 50,000-table schema."""

    def __init__(self, facts: Facts, options: EstimateOptions) -> None:
        self._tables: dict[str, Table] = {t.qualified_name: t for t in facts.tables or []}
        self._probes: dict[str, ReadProbeTable] = {
            p.table: p for p in (facts.read_probe.tables if facts.read_probe else [])
        }
        self._inserted = oh.wal_insert_tuple_lengths(facts.walinspect) if facts.walinspect else {}
        self._overrides = options.row_widths
        self._known: dict[str, RowWidths | None] = {}

    def __getitem__(self, name: str) -> RowWidths:
        if name not in self._known:
            table = self._tables[name]
            self._known[name] = row_widths(
                table,
                self._probes.get(name),
                self._overrides.get(name),
                self._inserted.get(name),
            )
        widths = self._known[name]
        if widths is None:
            raise KeyError(name)
        return widths

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._tables if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _fpi_share(facts: Facts) -> float | None:
    samples = [s for s in (facts.sampling.samples if facts.sampling else []) if s.wal_records]
    if len(samples) < 2:
        return None
    first, last = samples[0], samples[-1]
    records = (last.wal_records or 0) - (first.wal_records or 0)
    images = (last.wal_fpi or 0) - (first.wal_fpi or 0)
    return min(1.0, images / records) if records > 0 and images >= 0 else None


class _Identities(Mapping[str, ReplicaIdentity]):
    """Each table's replica identity, as it is or as recommended, by qualified name, worked out
    when asked for: the predictions read those of the tables changed in the window."""

    def __init__(self, facts: Facts, recommended: bool) -> None:
        self._tables = {t.qualified_name: t for t in facts.tables or []}
        self._recommended = recommended

    def __getitem__(self, name: str) -> ReplicaIdentity:
        table = self._tables[name]
        return oh.recommended_identity(table) if self._recommended else table.replica_identity

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def _identities(facts: Facts, recommended: bool) -> Mapping[str, ReplicaIdentity]:
    return _Identities(facts, recommended)


def _predict(
    facts: Facts,
    widths: Mapping[str, RowWidths],
    recommended: bool,
    same_page: Mapping[str, Range] | None = None,
) -> oh.Prediction | None:
    identities = _identities(facts, recommended)
    if facts.walinspect is not None:
        tables = {t.qualified_name: t for t in facts.tables or []}
        return oh.predict_walinspect(facts.walinspect, tables, widths, identities)
    return oh.predict_statistics(facts, widths, identities, _fpi_share(facts), same_page)


def _ratio(prediction: oh.Prediction, denominator: Range) -> Range:
    """Extra bytes / measured bytes of the same window, widened by the predictor's lab error."""
    extra = prediction.total
    error = oh.MODEL_ERROR[prediction.predictor]
    low = max(0.0, extra.low / denominator.high - error) if denominator.high > 0 else 0.0
    expected = extra.expected / denominator.expected if denominator.expected > 0 else 0.0
    high = extra.high / denominator.low + error if denominator.low > 0 else expected
    return Range(min(low, expected), expected, max(expected, high))


@dataclass(frozen=True)
class _Measured:
    """The measured rate's figures the prediction builds on (an ``ok`` WalRate)."""

    method: str
    window_mean: float
    p50: float
    p95: float
    range: Range | None

    @classmethod
    def of(cls, rate: WalRate) -> _Measured:
        mean = rate.window_mean if rate.window_mean is not None else rate.mean or 0.0
        return cls(
            method=rate.method or "",
            window_mean=mean,
            p50=rate.p50 if rate.p50 is not None else mean,
            p95=rate.p95 if rate.p95 is not None else mean,
            range=rate.range,
        )


def _denominator(
    prediction: oh.Prediction, facts: Facts, current: _Measured, window: float | None
) -> Range | None:
    if prediction.predictor == "pg_walinspect" and facts.walinspect is not None:
        return Range.exact(float(facts.walinspect.lsn_bytes))
    if window is None:
        return None
    if current.method == "row_changes" and current.range is not None:
        return current.range.scale(window)
    return Range.exact(current.window_mean * window)


def _logical(current: _Measured, ratio: Range) -> tuple[Range, float]:
    """The logical rate's envelope (workload spread and model uncertainty together: what the
    runway and the budget rules must survive) and its p95."""
    mean = current.window_mean
    if current.method == "row_changes" and current.range is not None:
        low, high = current.range.low, current.range.high
    else:
        low, high = min(current.p50, mean), max(current.p95, mean)
    rate = Range(low * (1 + ratio.low), mean * (1 + ratio.expected), high * (1 + ratio.high))
    p95 = max(current.p95, mean) * (1 + ratio.expected)
    return Range(min(rate.low, rate.expected), rate.expected, max(rate.high, rate.expected)), p95


def _model(current: _Measured, ratio: Range) -> Range:
    """The predictor's uncertainty alone: the window's mean rate (or, without WAL positions,
    the modelled rate's own range) with the low and high overhead."""
    mean = current.window_mean
    if current.method == "row_changes" and current.range is not None:
        low, high = min(current.range.low, mean), max(current.range.high, mean)
    else:
        low = high = mean
    return Range(low * (1 + ratio.low), mean * (1 + ratio.expected), high * (1 + ratio.high))


def _per_table(
    facts: Facts,
    current: oh.Prediction,
    recommended: oh.Prediction,
    widths: Mapping[str, RowWidths],
    window: float | None,
) -> list[WalTable]:
    tables: dict[str, Table] = {t.qualified_name: t for t in facts.tables or []}
    deltas = facts.sampling.table_deltas if facts.sampling else {}
    per_s = 1 / window if window else None
    extra: list[tuple[str, Table | None, Range, Range]] = []
    for name in sorted(set(current.per_table) | set(recommended.per_table)):
        table = tables.get(name)
        if oh.writes_no_wal(name, table):
            continue
        now = current.per_table.get(name, Range.exact(0.0)).scale(wb.PAGE_FACTOR)
        rec = recommended.per_table.get(name, Range.exact(0.0)).scale(wb.PAGE_FACTOR)
        extra.append((name, table, now, rec))
    extra.sort(key=lambda row: row[2].expected, reverse=True)
    return [
        WalTable(
            table=name,
            replica_identity=table.replica_identity.value if table else None,
            recommended_identity=oh.recommended_identity(table).value if table else None,
            extra_bytes_per_s=now.scale(per_s) if per_s else None,
            extra_bytes_per_s_recommended=rec.scale(per_s) if per_s else None,
            extra_bytes_in_window=now,
            ops_per_s={k: v * per_s for k, v in deltas[name].items()}
            if name in deltas and per_s
            else None,
            widths=widths.get(name),
        )
        for name, table, now, rec in extra[:PER_TABLE_LIMIT]
    ]


@dataclass(frozen=True)
class _Predicted:
    ratio: Range
    logical: Range
    p95: float
    components: dict[str, Range]
    p50: float
    model: Range


def _predicted(
    prediction: oh.Prediction, denominator: Range, current: _Measured, window: float | None
) -> _Predicted:
    ratio = _ratio(prediction, denominator)
    logical, p95 = _logical(current, ratio)
    p50 = min(current.p50, current.window_mean) * (1 + ratio.expected)
    per_s = 1 / window if window else None
    components = {
        k: v.scale(wb.PAGE_FACTOR * per_s) if per_s else v.scale(wb.PAGE_FACTOR)
        for k, v in prediction.components.items()
    }
    return _Predicted(ratio, logical, p95, components, p50, _model(current, ratio))


def _already_logical(facts: Facts) -> bool:
    setting = facts.setting("wal_level")
    return setting is not None and setting.value == "logical"


def _as_measured(
    cur: _Predicted, recd: _Predicted, current: _Measured
) -> tuple[_Predicted, _Predicted]:
    """On a server already at wal_level=logical the measured rate is the logical rate.

    The prediction for the recommended identities keeps only its difference from the
    prediction for the current ones (the saving of, e.g., FULL -> primary key).
    """
    mean = current.window_mean
    measured = Range(min(current.p50, mean), mean, max(current.p95, mean))
    saving = max(0.0, cur.logical.expected - recd.logical.expected)
    recommended = Range(
        max(0.0, measured.low - saving),
        max(0.0, measured.expected - saving),
        max(0.0, measured.high - saving),
    )
    zero = Range.exact(0.0)
    ratio = Range.exact(-saving / mean if mean else 0.0) if saving else zero
    exact = Range.exact(mean)
    p50 = min(current.p50, mean)
    return (
        _Predicted(zero, measured, current.p95, {}, p50, exact),
        _Predicted(
            ratio,
            recommended,
            max(0.0, current.p95 - saving),
            recd.components,
            max(0.0, p50 - saving),
            Range.exact(max(0.0, mean - saving)),
        ),
    )


def _unavailable(
    current: WalRate,
    predictor: str,
    reason: str,
    widths: Mapping[str, RowWidths],
    window: float | None,
) -> WalResult:
    estimates = WalEstimates(
        current_bytes_per_s=current,
        predictor=predictor,
        logical_overhead_ratio=Ratio.unavailable(reason),
        logical_bytes_per_s=LogicalRate.unavailable(reason),
        recommended_identities=RecommendedIdentities.unavailable(reason),
    )
    return WalResult(estimates, None, None, None, widths, window)


def _ratio_estimate(
    ratio: Range, method: str, inputs: dict[str, object], notes: list[str]
) -> Ratio:
    return Ratio(
        method=method,
        inputs=dict(inputs),
        assumptions=list(notes),
        low=ratio.low,
        expected=ratio.expected,
        high=ratio.high,
    )


def wal_estimates(facts: Facts, options: EstimateOptions) -> WalResult:
    widths = TableWidths(facts, options)
    window = rt.window_seconds(facts)
    # made only when no measured rate exists (a second at 50,000 tables), and then once
    model = functools.cache(lambda: modelled_wal(facts, widths))
    rate = rt.current_wal_rate(facts, model)
    if not rate.ok:
        reason = f"the current WAL rate is unavailable: {rate.reason}"
        return _unavailable(rate, "unavailable", reason, widths, window)
    # without WAL positions, the row-change model's page simulation says which updates stayed
    # on their page (before 16 the counters do not)
    modelled = model() if rate.method == "row_changes" else None
    same_page = modelled.same_page_updates if modelled else None
    now = _predict(facts, widths, recommended=False, same_page=same_page)
    rec = _predict(facts, widths, recommended=True, same_page=same_page)
    if now is None or rec is None:
        reason = "no row changes were sampled and pg_walinspect was not read"
        return _unavailable(rate, "unavailable", reason, widths, window)
    current = _Measured.of(rate)
    denominator = _denominator(now, facts, current, window)
    if denominator is None:
        reason = "the sampling window has no duration"
        return _unavailable(rate, now.predictor, reason, widths, window)
    inputs: dict[str, object] = {
        "current_bytes_per_s.method": current.method,
        "current_bytes_per_s.window_mean": current.window_mean,
        "window_seconds": window,
        "denominator_bytes": denominator.as_dict(),
        **now.inputs,
    }
    cur = _predicted(now, denominator, current, window)
    recd = _predicted(rec, denominator, current, window)
    method = f"{now.predictor} extra bytes per operation + measured {current.method} rate"
    if _already_logical(facts):
        cur, recd = _as_measured(cur, recd, current)
        method = f"measured {current.method} rate: wal_level is already logical"
        now.assumptions.append(
            "wal_level is already logical: the measured rate includes the logical overhead; "
            "recommended identities subtract the predicted saving from it"
        )
    changes = [
        IdentityChange(table=t.qualified_name, from_identity=t.replica_identity.value, to=to.value)
        for t in facts.tables or []
        if not t.unlogged and (to := oh.recommended_identity(t)) is not t.replica_identity
    ]
    cross_check = None
    if facts.walinspect is not None:
        statistics = oh.predict_statistics(
            facts, widths, _identities(facts, recommended=False), _fpi_share(facts)
        )
        window_denominator = _denominator(oh.Prediction("statistics"), facts, current, window)
        if statistics is not None and window_denominator is not None:
            cross_check = CrossCheck(logical_overhead_ratio=_ratio(statistics, window_denominator))
    estimates = WalEstimates(
        current_bytes_per_s=rate,
        predictor=now.predictor,
        logical_overhead_ratio=_ratio_estimate(cur.ratio, method, inputs, now.assumptions),
        logical_bytes_per_s=LogicalRate(
            method=method,
            inputs=dict(inputs),
            assumptions=list(now.assumptions),
            low=cur.logical.low,
            expected=cur.logical.expected,
            high=cur.logical.high,
            p95=cur.p95,
            p50=cur.p50,
            model=cur.model,
            components=cur.components,
        ),
        recommended_identities=RecommendedIdentities(
            method=method,
            inputs={"identity changes": len(changes)},
            assumptions=[
                "the primary key where there is one, else a unique NOT NULL index "
                "(USING INDEX), else FULL"
            ],
            changes=changes,
            logical_overhead_ratio=recd.ratio,
            logical_bytes_per_s=recd.logical,
            p50=recd.p50,
            p95=recd.p95,
            model=recd.model,
            components=recd.components,
        ),
        per_table=_per_table(facts, now, rec, widths, window),
        statistics_cross_check=cross_check,
    )
    return WalResult(estimates, cur.logical, cur.p95, recd.logical, widths, window)
