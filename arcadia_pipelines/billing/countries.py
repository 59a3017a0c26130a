"""Tenant countries, validated like every other source value (bounds.py): an ISO 3166-1 alpha-2
code, case aside (`au` is AU), or bad input for that tenant, named `invalid_country`. Nothing is
trimmed or guessed: ' AU' is not AU, and a code that is no country ('XX', 'ZZ', '') would silently
bill without tax. A real country with no tax rate is taxed at nothing, as the contract says."""

from __future__ import annotations

from functools import lru_cache

from .errors import BillingError


@lru_cache(maxsize=None)
def _is_country(code: str) -> bool:
    import pycountry  # only where a country is checked: start-up stays cheap

    return pycountry.countries.get(alpha_2=code) is not None


def country_code(value: object) -> str:
    """`value` as an upper-case ISO 3166-1 alpha-2 code; BillingError `invalid_country` otherwise."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha() \
            and _is_country(value.upper()):
        return value.upper()
    raise BillingError("invalid_country", f"country is {value!r}, not an ISO 3166-1 alpha-2 code (e.g. AU, NZ, US)")
