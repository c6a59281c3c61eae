"""Rebalancing: where devices of a category sit idle at one site while demand for
that category goes unmet at another, propose moving some, with the figures behind it.

The rules, so that a manager can check a proposal by hand:
- a site's need is the residents still waiting for the category there plus the
  largest request refused there in the period (moving that many would have met it),
  less the devices of the category idle at that site already;
- a site may give the devices idle for `idle_days` or more, but never so many that
  it would keep fewer than the most it had in use at the same moment in the period;
- the sites in greatest need are served first, from the sites with the most to give
  (the least used first on a tie); the idlest devices move first.
Pure: `suggest` reads a History (services/audit/history.py) through
services.audit.analytics; `propose` takes the same figures from elsewhere
(facts_report.py reads them from the facts kept as events arrive).
"""

import hashlib
import hmac
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.audit import analytics
from services.audit.analytics import History, Period, SiteHours


@dataclass(frozen=True)
class Suggestion:
    """What accept_suggestion takes: item_ids, to_site_id and reason, with the rest
    kept beside them for the manager who decides."""

    item_ids: tuple[int, ...]
    from_site_id: int
    to_site_id: int
    category_id: int
    reason: str
    figures: dict = field(hash=False)  # numbers only: they travel with the decision

    def as_payload(self, key: bytes) -> dict:
        """What managers are shown and may pass back, signed so that only this, unchanged,
        can be accepted."""
        payload = {
            "item_ids": list(self.item_ids),
            "from_site_id": self.from_site_id,
            "to_site_id": self.to_site_id,
            "category_id": self.category_id,
            "reason": self.reason,
            "figures": dict(self.figures),
        }
        return {**payload, "signature": signature(payload, key)}


def signature(payload: dict, key: bytes) -> str:
    """HMAC-SHA256 of a suggestion's content, in a form that survives a trip through
    JSON and schemas (figures as floats, absent ones left out)."""
    content = {
        "item_ids": [int(item_id) for item_id in payload["item_ids"]],
        "from_site_id": int(payload["from_site_id"]),
        "to_site_id": int(payload["to_site_id"]),
        "category_id": int(payload["category_id"]),
        "reason": payload["reason"],
        "figures": {
            name: float(value) for name, value in payload["figures"].items() if value is not None
        },
    }
    message = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, b"suggestion:" + message.encode("utf-8"), hashlib.sha256).hexdigest()


def is_genuine(payload: dict, key: bytes) -> bool:
    return hmac.compare_digest(signature(payload, key), payload["signature"])


def suggest(
    history: History,
    period: Period,
    as_of: datetime,
    site_hours: dict[int, SiteHours],
    idle_days: int = 30,
) -> list[Suggestion]:
    idle = analytics.idle_items(history, as_of, idle_days)
    return propose(
        Counter((item.site_id, item.category_id) for item in idle),
        analytics.unmet_demand(history, period, as_of),
        Figures(
            idle_items=lambda: idle,
            in_service=lambda: _in_service(history, as_of),
            peaks=lambda: analytics.peak_in_use(history, period),
            rates=lambda category_id: _rates_by_site(history, period, site_hours, category_id),
            label=lambda by, key: history.label(by, key, site_hours),
        ),
    )


@dataclass(frozen=True)
class Figures:
    """What a proposal weighs beside how many devices are idle and the unmet demand,
    asked for only when there is something to propose: the idle devices themselves
    (the idlest first), the items in service per (site, category), the most in use
    at once per (site, category), the utilisation of one category per site, and the
    names of sites and categories."""

    idle_items: Callable[[], list[analytics.IdleItem]]
    in_service: Callable[[], Counter]
    peaks: Callable[[], dict[tuple[int, int], int]]
    rates: Callable[[int], dict]
    label: Callable[[str, int], str]


def propose(
    idle_counts: Counter, unmet: list[analytics.UnmetDemand], figures: Figures
) -> list[Suggestion]:
    """The moves, from how many devices are idle per (site, category) and the unmet
    demand: which devices move is asked for only when some site needs more."""
    needs = {
        (row.site_id, row.category_id): (
            row,
            row.waiting + row.largest_request - idle_counts[(row.site_id, row.category_id)],
        )
        for row in unmet
        if row.site_id is not None and row.category_id is not None
    }
    needs = {key: (row, need) for key, (row, need) in needs.items() if need > 0}
    if not any(idle_counts.values()) or not needs:
        return []
    idle = defaultdict(list)
    for item in figures.idle_items():
        idle[(item.site_id, item.category_id)].append(item)
    in_service = figures.in_service()
    peaks = figures.peaks()
    rates = {
        category_id: figures.rates(category_id)
        for category_id in {category_id for _, category_id in needs}
    }

    suggestions = []
    for (to_site, category_id), (demand, need) in sorted(
        needs.items(), key=lambda kv: (-kv[1][1], kv[0])
    ):
        for from_site in sorted(
            (site for site, category in idle if category == category_id and site != to_site),
            key=lambda site: (
                -_spare(site, category_id, idle, in_service, peaks),
                rates[category_id].get(site) or 0.0,
                site,
            ),
        ):
            if need <= 0:
                break
            spare = _spare(from_site, category_id, idle, in_service, peaks)
            if spare <= 0:
                continue
            moving = idle[(from_site, category_id)][: min(spare, need)]
            idle[(from_site, category_id)] = idle[(from_site, category_id)][len(moving) :]
            in_service[(from_site, category_id)] -= len(moving)
            need -= len(moving)
            numbers = {
                "source_idle_items": len(moving) + len(idle[(from_site, category_id)]),
                "source_most_days_idle": moving[0].days_idle,
                "source_least_days_idle": moving[-1].days_idle,
                "source_items": in_service[(from_site, category_id)] + len(moving),
                "source_peak_in_use": peaks.get((from_site, category_id), 0),
                "source_utilisation": rates[category_id].get(from_site),
                "target_unmet_requests": demand.requests,
                "target_unmet_quantity": demand.quantity,
                "target_largest_request": demand.largest_request,
                "target_waiting": demand.waiting,
                "target_idle_items": len(idle[(to_site, category_id)]),
                "target_utilisation": rates[category_id].get(to_site),
            }
            suggestions.append(
                Suggestion(
                    tuple(item.item_id for item in moving),
                    from_site,
                    to_site,
                    category_id,
                    _reason(figures.label, len(moving), category_id, from_site, to_site),
                    numbers,
                )
            )
    return suggestions


def _spare(site, category_id, idle, in_service, peaks) -> int:
    keep = peaks.get((site, category_id), 0)
    return min(len(idle[(site, category_id)]), in_service[(site, category_id)] - keep)


def _in_service(history: History, as_of: datetime) -> Counter:
    now, counts = as_of.timestamp(), Counter()
    for item in history.items.values():
        if item.registered_at <= now and item.status_at(now) not in analytics.OUT_OF_SERVICE:
            counts[(item.placement_at(now)[0], item.category_id)] += 1
    return counts


def _rates_by_site(history, period, site_hours, category_id) -> dict:
    return {
        row.key: row.rate
        for row in analytics.utilisation(
            history.of_category(category_id), period, site_hours, by="site"
        )
    }


def _reason(label, count, category_id, from_site, to_site) -> str:
    category = label("category", category_id)
    if count > 1 and not category.endswith(("s", "x")):
        category += "s"
    return f"move {count} {category} from {label('site', from_site)} to {label('site', to_site)}"
