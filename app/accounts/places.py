"""Where a sign-in came from, roughly: the country of its IP address, looked up offline.

The lookup table is the one the ``geoip2fast`` package ships (built from MaxMind's GeoLite2
country data, CC BY-SA 4.0): no network call and no account key. It is loaded once per
process, the first time a devices page is shown. A country is as precise as we go: a city
from an IP address is often wrong and says more about a person than the page needs.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)
UNKNOWN = _l("Unknown place")


@lru_cache(maxsize=1)
def _table() -> Any | None:
    try:
        from geoip2fast import GeoIP2Fast

        return GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz")  # IPv4 and IPv6
    except Exception:  # a missing or unreadable table: the page still lists the sessions
        log.warning("No IP-to-country table: devices show no place", exc_info=True)
        return None


def place_of(ip: str | None) -> str:
    """ "United Kingdom", "This computer", "A private network" or "Unknown place"."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return str(UNKNOWN)
    if address.is_loopback:
        return _("This computer")
    if address.is_private or address.is_link_local:
        return _("A private network")
    table = _table()
    if table is None:
        return str(UNKNOWN)
    name = getattr(table.lookup(str(address)), "country_name", "") or ""
    return name if name and not name.startswith("<") else str(UNKNOWN)
