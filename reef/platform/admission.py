"""Whether a verified caller may run a request now: model allow-list, budget, rate limits.

Checks that cost nothing come first, so a refused request never uses up a rate-limit slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from reef.errors import BudgetExceeded, PermissionDenied, RateLimited
from reef.platform.clock import Clock
from reef.platform.limits import LimitDenial, Limiter
from reef.platform.types import Principal
from reef.units import NANO_PER_USD

SpendReader = Callable[[int, datetime, datetime], int]
"""(org_id, start, end) -> nano-USD recorded in that span; blocking, run in a thread."""


def month_span(moment: datetime) -> tuple[str, datetime, datetime]:
    """The calendar month (UTC) holding `moment`: its label and [start, end)."""
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.strftime("%Y-%m"), start, end


def check_model_allowed(principal: Principal, model: str) -> None:
    if principal.allowed_models is not None and model not in principal.allowed_models:
        raise PermissionDenied(
            f"This API key is not allowed to use the model `{model}`.", param="model"
        )


def rate_limit_error(
    principal: Principal, model: str, denial: LimitDenial, requested: int
) -> RateLimited:
    """OpenAI's wording: limit, usage and wait, so clients can back off sensibly."""
    label = "requests per min (RPM)" if denial.unit == "requests" else "tokens per min (TPM)"
    asked = 1 if denial.unit == "requests" else requested
    return RateLimited(
        f"Rate limit reached for {model} in organization {principal.org_name} on {label}: "
        f"Limit {denial.limit}, Used {denial.used}, Requested {asked}. "
        f"Please try again in {denial.retry_after_s:.3f}s.",
        retry_after=denial.retry_after_s,
    )


class Admission:
    """Runs the admission checks against a limiter and the spend known to it."""

    def __init__(self, limiter: Limiter, spend_reader: SpendReader, clock: Clock) -> None:
        self._limiter = limiter
        self._spend_reader = spend_reader
        self._clock = clock

    async def admit(self, principal: Principal, model: str, estimated_tokens: int = 0) -> None:
        """Raise PermissionDenied, BudgetExceeded or RateLimited; return when admitted.

        `estimated_tokens` only informs the error message: TPM admits while the tokens
        actually used in the window are below the limit.
        """
        check_model_allowed(principal, model)
        await self._check_budget(principal)
        denial = await self._limiter.take_request(principal.key_id, principal.rpm, principal.tpm)
        if denial is not None:
            raise rate_limit_error(principal, model, denial, estimated_tokens)

    async def month_spend_nano(self, org_id: int) -> int:
        """This calendar month's spend, including recorded usage not yet in the ledger."""
        month, start, end = month_span(datetime.fromtimestamp(self._clock(), UTC))
        spent = await self._limiter.month_spend(org_id, month)
        if spent is None:
            known = await asyncio.to_thread(self._spend_reader, org_id, start, end)
            spent = await self._limiter.seed_month_spend(org_id, month, known)
        return spent

    async def _check_budget(self, principal: Principal) -> None:
        budget = principal.monthly_budget_usd
        if budget is None:
            return
        spent = await self.month_spend_nano(principal.org_id)
        if spent >= round(budget * NANO_PER_USD):
            raise BudgetExceeded(
                "You exceeded your current quota: organization "
                f"{principal.org_name} has spent ${spent / NANO_PER_USD:.4f} of its "
                f"${budget:.2f} monthly budget. Raise the budget or wait for next month."
            )
