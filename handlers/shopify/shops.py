"""Which shop a delivery is for: an endpoint can be pinned to one shop's domain.

`X-Shopify-Shop-Domain` is not signed, so on its own it proves nothing. Compared with
the domain the endpoint was set up for (`shopsync store set-account STORE_ID shopify
SHOP.myshopify.com`), it refuses a webhook pointed at the wrong store, and an app's
delivery for one shop replayed at another shop's endpoint unless the header is forged
too. Privacy requests name their shop inside the signed body, which is checked the
same way, so on a pinned endpoint one shop's redaction request can never erase another
shop's data. An endpoint that is not pinned accepts any shop and says so once in the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from shopsync.errors import InvalidPayload
from shopsync.pipeline.registry import EndpointSetup

log = logging.getLogger(__name__)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
MAX_DOMAIN_LENGTH = 253

# Endpoints already reported as unpinned, by store and secrets (so a store whose secret
# changes is reminded once more); only hashes are kept.
_unpinned_logged: set[int] = set()


def normalize_shop_domain(value: str) -> str:
    """`Example.myshopify.com` as stored and compared; ValueError if it is no domain."""
    domain = value.strip().lower()
    if len(domain) > MAX_DOMAIN_LENGTH or not DOMAIN.fullmatch(domain):
        raise ValueError("a shop domain looks like example.myshopify.com")
    return domain


def check_shop(endpoint: EndpointSetup, claimed: Iterable[str | None]) -> None:
    """Refuse a delivery naming any shop but the one the endpoint is pinned to."""
    pinned = endpoint.account_ref
    if pinned is None:
        _log_unpinned_once(endpoint)
        return
    for domain in claimed:
        if domain is None or not _same_shop(domain, pinned):
            raise InvalidPayload("delivery is not for the shop this endpoint is set up for")


def _same_shop(domain: str, pinned: str) -> bool:
    try:
        return normalize_shop_domain(domain) == pinned
    except ValueError:
        return False


def _log_unpinned_once(endpoint: EndpointSetup) -> None:
    seen = hash((endpoint.store_id, tuple(endpoint.secrets)))
    if seen in _unpinned_logged:
        return
    _unpinned_logged.add(seen)
    store_id = endpoint.store_id
    log.warning(
        "store %s: its Shopify endpoint accepts deliveries for any shop; pin it with "
        "`shopsync store set-account %s shopify SHOP.myshopify.com`",
        store_id,
        store_id,
    )
