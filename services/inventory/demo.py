"""Demo data: the Roseraie network (Angers), loaded through the inventory's RPC API.

    python -m partanum.run inventory &           # the service, in another process
    python -m services.inventory.demo            # load (again: nothing changes)
    python -m services.inventory.demo --show     # print the network, load nothing

Seven partners of the "Innover à la Roseraie" project, their sites with weekly
hours and closures, and about 150 shared devices spread as unevenly as the
project's diagnosis found them ("du matériel investi utilisé de façon inégale").
Everything goes through the public RPC API, so the demo also exercises the
service's rules and emits its events, with "demo" as the actor. Loading skips
whatever is already there, so it can run against the same data again.
"""

if __name__ == "__main__":
    import warnings

    with warnings.catch_warnings():  # eventlet's deprecation notice is not for the demo's users
        warnings.simplefilter("ignore")
        import eventlet

    eventlet.monkey_patch()  # the RPC proxy runs on eventlet; patch before anything else loads

import argparse
import random
import string
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from kombu.utils.url import maybe_sanitize_url

from partanum import config as settings
from partanum.errors import Conflict
from partanum.standalone import NotAnswering, cluster_proxy, wait_for

ACTOR = "demo"

# --- the network ---------------------------------------------------------------

# "prefixe" starts the asset tags of a partner's devices (JV-TAB-001).
PARTENAIRES = [
    {"code": "mairie", "name": "Mairie de quartier de la Roseraie", "prefixe": "RM"},
    {"code": "jean-vilar", "name": "Centre Jean Vilar", "prefixe": "JV"},
    {"code": "mistral", "name": "Espace Frédéric Mistral", "prefixe": "EM"},
    {"code": "maison-quartier", "name": "Maison de quartier de la Roseraie", "prefixe": "MQ"},
    {"code": "mission-locale", "name": "Mission Locale Angevine", "prefixe": "MLA"},
    # The two associations are invented for the demo.
    {
        "code": "roseraie-connectee",
        "name": "Roseraie Connectée (médiation numérique)",
        "prefixe": "RC",
    },
    {"code": "lire-et-dire", "name": "Lire et Dire (français et savoirs de base)", "prefixe": "LD"},
]

NOEL = {
    "starts_on": "2026-12-24",
    "ends_on": "2027-01-01",
    "reason": "Fermeture des fêtes de fin d'année",
}

# Addresses are illustrative: plausible streets of La Roseraie, not checked ones.
# Centre Jean Vilar's hours are the seed document's, to the minute.
SITES = [
    {
        "code": "relais-mairie",
        "name": "Relais-Mairie de la Roseraie",
        "partner": "mairie",
        "address": "3 rue Henri-Bergson, 49100 Angers",
        "opening_hours": {
            "monday": [["08:30", "12:00"], ["13:30", "17:30"]],
            "tuesday": [["08:30", "12:00"], ["13:30", "17:30"]],
            "wednesday": [["08:30", "12:00"], ["13:30", "17:30"]],
            "thursday": [["08:30", "12:00"], ["13:30", "17:30"]],
            "friday": [["08:30", "12:00"], ["13:30", "17:30"]],
            "saturday": [["09:00", "12:00"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2026-12-10",
                "ends_on": "2026-12-10",
                "reason": "Formation des agents d'accueil",
            },
        ],
    },
    {
        "code": "jean-vilar",
        "name": "Centre Jean Vilar",
        "partner": "jean-vilar",
        "address": "1 place Jean XXIII, 49100 Angers",
        "opening_hours": {
            "monday": [["13:30", "18:30"]],
            "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
            "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
            "thursday": [["13:30", "18:30"]],
            "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2027-01-15",
                "ends_on": "2027-01-15",
                "reason": "Inventaire annuel du matériel",
            },
        ],
    },
    {
        "code": "mistral",
        "name": "Espace Frédéric Mistral",
        "partner": "mistral",
        "address": "2 allée des Baladins, 49100 Angers",
        "opening_hours": {
            "monday": [["09:00", "12:30"], ["14:00", "17:30"]],
            "tuesday": [["09:00", "12:30"], ["14:00", "17:30"]],
            "wednesday": [["09:00", "12:30"]],
            "thursday": [["09:00", "12:30"], ["14:00", "17:30"]],
            "friday": [["09:00", "12:30"], ["14:00", "16:30"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2027-02-15",
                "ends_on": "2027-02-19",
                "reason": "Travaux de mise en accessibilité",
            },
        ],
    },
    {
        "code": "maison-quartier",
        "name": "Maison de quartier de la Roseraie",
        "partner": "maison-quartier",
        "address": "12 rue André-Maurois, 49100 Angers",
        "opening_hours": {
            "monday": [["14:00", "19:00"]],
            "tuesday": [["09:00", "12:00"], ["14:00", "19:00"]],
            "wednesday": [["09:00", "12:00"], ["14:00", "19:00"]],
            "thursday": [["09:00", "12:00"], ["14:00", "19:00"]],
            "friday": [["09:00", "12:00"], ["14:00", "19:00"]],
            "saturday": [["10:00", "12:30"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2026-12-12",
                "ends_on": "2026-12-12",
                "reason": "Fête de quartier : accueil fermé",
            },
        ],
    },
    {
        # The seed places the Mission Locale's presence at Espace Mistral.
        "code": "mission-locale",
        "name": "Mission Locale Angevine, antenne Roseraie",
        "partner": "mission-locale",
        "address": "2 allée des Baladins (Espace Frédéric Mistral, 1er étage), 49100 Angers",
        "opening_hours": {
            "monday": [["09:00", "12:30"], ["13:30", "17:30"]],
            "tuesday": [["09:00", "12:30"], ["13:30", "17:30"]],
            "wednesday": [["09:00", "12:30"], ["13:30", "17:30"]],
            "thursday": [["09:00", "12:30"], ["13:30", "17:30"]],
            "friday": [["09:00", "12:30"]],
        },
        "closures": [
            NOEL,
            {"starts_on": "2027-01-08", "ends_on": "2027-01-08", "reason": "Séminaire de l'équipe"},
        ],
    },
    {
        "code": "roseraie-connectee",
        "name": "Roseraie Connectée, local associatif",
        "partner": "roseraie-connectee",
        "address": "8 rue Paul-Valéry, 49100 Angers",
        "opening_hours": {
            "tuesday": [["14:00", "18:00"]],
            "wednesday": [["09:30", "12:00"], ["14:00", "18:00"]],
            "thursday": [["14:00", "18:00"]],
            "saturday": [["09:30", "12:30"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2027-03-06",
                "ends_on": "2027-03-06",
                "reason": "Assemblée générale de l'association",
            },
        ],
    },
    {
        # The "café démarches" the seed names among the saturated first desks.
        "code": "cafe-demarches",
        "name": "Café démarches (salle du Centre Jean Vilar)",
        "partner": "roseraie-connectee",
        "address": "1 place Jean XXIII, 49100 Angers",
        "opening_hours": {
            "tuesday": [["09:30", "11:30"]],
            "friday": [["14:00", "16:30"]],
        },
        "closures": [
            NOEL,
            {"starts_on": "2027-04-12", "ends_on": "2027-04-23", "reason": "Vacances de printemps"},
        ],
    },
    {
        "code": "lire-et-dire",
        "name": "Lire et Dire, salle des ateliers",
        "partner": "lire-et-dire",
        "address": "20 rue Albert-Camus, 49100 Angers",
        "opening_hours": {
            "monday": [["09:00", "11:30"], ["14:00", "16:30"]],
            "tuesday": [["09:00", "11:30"], ["14:00", "16:30"]],
            "wednesday": [["18:00", "20:00"]],
            "thursday": [["09:00", "11:30"], ["14:00", "16:30"]],
        },
        "closures": [
            NOEL,
            {
                "starts_on": "2027-02-15",
                "ends_on": "2027-02-26",
                "reason": "Vacances scolaires d'hiver",
            },
        ],
    },
]

# "tag" is the category's part of an asset tag.
CATEGORIES = [
    {"code": "laptop", "name": "Ordinateur portable", "tag": "PC"},
    {"code": "tablet", "name": "Tablette", "tag": "TAB"},
    {"code": "smartphone", "name": "Smartphone", "tag": "TEL"},
    {"code": "hotspot", "name": "Routeur 4G", "tag": "4G"},
    {"code": "projector", "name": "Vidéoprojecteur", "tag": "VP"},
    {"code": "webcam", "name": "Webcam", "tag": "CAM"},
    {"code": "headset", "name": "Casque-micro", "tag": "CSQ"},
]

# What the partners bought: unit price in euros, first year on sale, what comes with it.
MODELES = {
    "thinkpad-e14": {
        "category": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad E14 Gen 2",
        "prix": 749,
        "depuis": 2020,
        "accessories": ["chargeur", "housse", "souris"],
    },
    "hp-250-g9": {
        "category": "laptop",
        "make": "HP",
        "model": "250 G9",
        "prix": 489,
        "depuis": 2022,
        "accessories": ["chargeur", "housse"],
    },
    "latitude-5400": {
        "category": "laptop",
        "make": "Dell",
        "model": "Latitude 5400 (reconditionné)",
        "prix": 329,
        "depuis": 2019,
        "accessories": ["chargeur", "housse"],
    },
    "galaxy-tab-a9": {
        "category": "tablet",
        "make": "Samsung",
        "model": "Galaxy Tab A9+",
        "prix": 229,
        "depuis": 2024,
        "accessories": ["chargeur", "câble USB-C", "coque"],
    },
    "galaxy-tab-a8": {
        "category": "tablet",
        "make": "Samsung",
        "model": "Galaxy Tab A8",
        "prix": 239,
        "depuis": 2022,
        "accessories": ["chargeur", "câble USB-C", "coque"],
    },
    "ipad-9": {
        "category": "tablet",
        "make": "Apple",
        "model": "iPad 9",
        "prix": 389,
        "depuis": 2021,
        "accessories": ["chargeur", "câble Lightning", "coque", "stylet"],
    },
    "fairphone-4": {
        "category": "smartphone",
        "make": "Fairphone",
        "model": "Fairphone 4",
        "prix": 579,
        "depuis": 2021,
        "accessories": ["chargeur", "câble USB-C", "coque"],
    },
    "galaxy-a14": {
        "category": "smartphone",
        "make": "Samsung",
        "model": "Galaxy A14",
        "prix": 199,
        "depuis": 2023,
        "accessories": ["chargeur", "câble USB-C", "coque"],
    },
    "huawei-e5576": {
        "category": "hotspot",
        "make": "Huawei",
        "model": "E5576 (routeur 4G)",
        "prix": 59,
        "depuis": 2019,
        "accessories": ["câble micro-USB", "carte SIM data"],
    },
    "tplink-m7350": {
        "category": "hotspot",
        "make": "TP-Link",
        "model": "M7350 (routeur 4G)",
        "prix": 79,
        "depuis": 2019,
        "accessories": ["câble micro-USB", "carte SIM data"],
    },
    "epson-eb-w06": {
        "category": "projector",
        "make": "Epson",
        "model": "EB-W06",
        "prix": 469,
        "depuis": 2020,
        "accessories": ["télécommande", "câble HDMI", "câble d'alimentation", "sacoche"],
    },
    "logitech-c920": {
        "category": "webcam",
        "make": "Logitech",
        "model": "C920 HD Pro",
        "prix": 79,
        "depuis": 2019,
        "accessories": ["trépied"],
    },
    "jabra-evolve2-30": {
        "category": "headset",
        "make": "Jabra",
        "model": "Evolve2 30",
        "prix": 69,
        "depuis": 2021,
        "accessories": ["adaptateur USB-C", "pochette"],
    },
}

# Who holds what, and where: (partner, site, model, how many). Each line is one
# purchase. Espace Mistral has most of the tablets, Centre Jean Vilar few.
FLOTTE = [
    ("mairie", "relais-mairie", "thinkpad-e14", 4),
    ("mairie", "relais-mairie", "hp-250-g9", 2),
    ("mairie", "relais-mairie", "galaxy-tab-a8", 2),
    ("mairie", "relais-mairie", "logitech-c920", 2),
    ("mairie", "relais-mairie", "jabra-evolve2-30", 4),
    ("jean-vilar", "jean-vilar", "hp-250-g9", 6),
    ("jean-vilar", "jean-vilar", "thinkpad-e14", 2),
    ("jean-vilar", "jean-vilar", "ipad-9", 2),
    ("jean-vilar", "jean-vilar", "galaxy-a14", 2),
    ("jean-vilar", "jean-vilar", "jabra-evolve2-30", 4),
    ("jean-vilar", "jean-vilar", "logitech-c920", 2),
    ("mistral", "mistral", "galaxy-tab-a9", 18),
    ("mistral", "mistral", "ipad-9", 8),
    ("mistral", "mistral", "galaxy-tab-a8", 4),
    ("mistral", "mistral", "hp-250-g9", 6),
    ("mistral", "mistral", "epson-eb-w06", 3),
    ("mistral", "mistral", "huawei-e5576", 4),
    ("mistral", "mistral", "logitech-c920", 2),
    ("maison-quartier", "maison-quartier", "latitude-5400", 4),
    ("maison-quartier", "maison-quartier", "hp-250-g9", 2),
    ("maison-quartier", "maison-quartier", "galaxy-tab-a8", 8),
    ("maison-quartier", "maison-quartier", "epson-eb-w06", 2),
    ("maison-quartier", "maison-quartier", "tplink-m7350", 4),
    ("maison-quartier", "maison-quartier", "galaxy-a14", 2),
    ("mission-locale", "mission-locale", "thinkpad-e14", 8),
    ("mission-locale", "mission-locale", "latitude-5400", 2),
    ("mission-locale", "mission-locale", "fairphone-4", 6),
    ("mission-locale", "mission-locale", "huawei-e5576", 4),
    ("roseraie-connectee", "roseraie-connectee", "latitude-5400", 8),
    ("roseraie-connectee", "roseraie-connectee", "thinkpad-e14", 2),
    ("roseraie-connectee", "roseraie-connectee", "galaxy-tab-a9", 4),
    ("roseraie-connectee", "roseraie-connectee", "fairphone-4", 2),
    ("roseraie-connectee", "roseraie-connectee", "huawei-e5576", 2),
    ("roseraie-connectee", "roseraie-connectee", "epson-eb-w06", 1),
    ("roseraie-connectee", "cafe-demarches", "hp-250-g9", 2),
    ("roseraie-connectee", "cafe-demarches", "galaxy-tab-a9", 2),
    ("roseraie-connectee", "cafe-demarches", "jabra-evolve2-30", 2),
    ("lire-et-dire", "lire-et-dire", "galaxy-tab-a8", 4),
    ("lire-et-dire", "lire-et-dire", "jabra-evolve2-30", 2),
]

KITS = [
    {
        "code": "mistral-atelier-10",
        "name": "Kit atelier 10 tablettes",
        "asset_tags": [f"EM-TAB-{n:03d}" for n in range(1, 11)],
    },
    {
        "code": "rc-hors-les-murs",
        "name": "Kit permanence hors les murs (2 portables, routeur 4G, vidéoprojecteur)",
        "asset_tags": ["RC-PC-001", "RC-PC-002", "RC-4G-001", "RC-VP-001"],
    },
]

# Devices that are not available, and the staff changes that put them there.
ETATS = {
    "JV-PC-003": [("in_maintenance", "Écran fissuré, devis de réparation demandé")],
    "MLA-TEL-004": [("lost", "Non rendu après le prêt du 3 novembre ; relances sans réponse")],
    "MQ-TAB-005": [
        ("lost", "Introuvable lors de l'inventaire de septembre"),
        ("awaiting_wipe", "Retrouvée dans la salle polyvalente ; à réinitialiser avant tout prêt"),
    ],
}

REMARQUES = {
    "fair": [
        "Rayures d'usage sur la coque",
        "Batterie fatiguée : prêter avec le chargeur",
        "Coins marqués, fonctionne bien",
    ],
    "damaged": ["Écran fêlé dans un coin, reste utilisable", "Bouton de volume qui ne répond plus"],
}

SEED = 49100  # the fleet is drawn from this seed: the same devices on every run


def fleet() -> list[dict]:
    """The register_item payloads of the whole fleet, the same on every call."""
    rng = random.Random(SEED)
    prefixes = {p["code"]: p["prefixe"] for p in PARTENAIRES}
    tags = {c["code"]: c["tag"] for c in CATEGORIES}
    numbers = Counter()
    items = []
    for partner, site, key, count in FLOTTE:
        modele = MODELES[key]
        bought = _purchase_date(rng, modele["depuis"])
        cost = (Decimal(modele["prix"]) * Decimal(rng.uniform(0.9, 1.05))).quantize(Decimal("0.01"))
        for _ in range(count):
            series = (prefixes[partner], tags[modele["category"]])
            numbers[series] += 1
            condition = _condition(rng, bought)
            items.append(
                {
                    "asset_tag": f"{series[0]}-{series[1]}-{numbers[series]:03d}",
                    "serial_number": "".join(
                        rng.choices(string.ascii_uppercase + string.digits, k=12)
                    ),
                    "make": modele["make"],
                    "model": modele["model"],
                    "category": modele["category"],
                    "owner": partner,
                    "home_site": site,
                    "accessories": list(modele["accessories"]),
                    "condition": condition,
                    "notes": rng.choice(REMARQUES[condition]) if condition in REMARQUES else "",
                    "purchase_date": bought.isoformat(),
                    "purchase_cost": str(cost),
                }
            )
    return items


def _purchase_date(rng: random.Random, first_year: int) -> date:
    start, end = date(max(first_year, 2019), 1, 15), date(2025, 10, 31)
    return start + timedelta(days=rng.randrange((end - start).days))


def _condition(rng: random.Random, bought: date) -> str:
    if bought.year >= 2025:
        weights = {"new": 6, "good": 4}
    elif bought.year >= 2022:
        weights = {"good": 80, "fair": 18, "damaged": 2}
    else:
        weights = {"good": 55, "fair": 38, "damaged": 7}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- loading ---------------------------------------------------------------------

KINDS = ("partners", "sites", "closures", "categories", "items", "statuses", "kits")


def load(rpc) -> dict:
    """Register whatever of the demo network is missing; leave the rest as it is.

    `rpc` is a started ClusterRpcProxy. Returns how many of each kind were
    created and how many were already there:
    {"created": {"partners": 7, …, "items": 150, …}, "existing": {"partners": 0, …}}.
    A device's demo state (lost, in maintenance…) is only applied to a device
    that has no history yet, so a later repair is not undone by a second load.
    """
    inventory = rpc.inventory
    created, existing = Counter({kind: 0 for kind in KINDS}), Counter({kind: 0 for kind in KINDS})

    def register(kind, method, payload, known, key="code"):
        if payload[key] in known:
            existing[kind] += 1
            return
        try:
            method(payload)
            created[kind] += 1
        except Conflict:  # registered meanwhile by someone else
            existing[kind] += 1

    partners = {p["code"] for p in inventory.list_partners()}
    for partner in PARTENAIRES:
        register(
            "partners",
            inventory.register_partner,
            {"code": partner["code"], "name": partner["name"]},
            partners,
        )

    sites = {s["code"]: s for s in inventory.list_sites()}
    for site in SITES:
        payload = {key: value for key, value in site.items() if key != "closures"}
        register("sites", inventory.register_site, payload, sites)
        present = sites.get(site["code"], {}).get("closures", [])
        present = {(c["starts_on"], c["ends_on"], c["reason"]) for c in present}
        for closure in site["closures"]:
            if (closure["starts_on"], closure["ends_on"], closure["reason"]) in present:
                existing["closures"] += 1
            else:
                inventory.add_closure(site["code"], closure)
                created["closures"] += 1

    categories = {c["code"] for c in inventory.list_categories()}
    for category in CATEGORIES:
        register(
            "categories",
            inventory.register_category,
            {"code": category["code"], "name": category["name"]},
            categories,
        )

    items = {i["asset_tag"]: i for i in inventory.list_items()}
    for item in fleet():
        register("items", inventory.register_item, item, items, key="asset_tag")

    for asset_tag, moves in ETATS.items():
        if inventory.item_history(asset_tag):
            existing["statuses"] += 1
            continue
        for status, reason in moves:
            inventory.change_status(asset_tag, {"status": status, "reason": reason})
        created["statuses"] += 1

    kits = {k["code"] for k in inventory.list_kits()}
    for kit in KITS:
        register("kits", inventory.register_kit, kit, kits)

    return {"created": dict(created), "existing": dict(existing)}


# --- printing ----------------------------------------------------------------------

DAYS = {
    "monday": "Mon",
    "tuesday": "Tue",
    "wednesday": "Wed",
    "thursday": "Thu",
    "friday": "Fri",
    "saturday": "Sat",
    "sunday": "Sun",
}


def format_hours(hours: dict) -> str:
    days = [
        f"{DAYS[day]} {', '.join(f'{a}-{b}' for a, b in hours[day])}"
        for day in DAYS
        if hours.get(day)
    ]
    return " | ".join(days) or "no opening hours"


def counts_table(rows: dict, categories: list[str]) -> list[str]:
    """A text table: one line per row label, one column per category, and totals."""
    width = max(map(len, rows), default=10)
    lines = ["  " + " " * width + "".join(f"{c:>11}" for c in categories) + f"{'total':>8}"]
    for label, counts in rows.items():
        cells = "".join(f"{counts.get(c, 0):>11}" for c in categories)
        lines.append(f"  {label:<{width}}{cells}{sum(counts.values()):>8}")
    return lines


def describe_fleet(rpc) -> list[str]:
    inventory = rpc.inventory
    partners = inventory.list_partners()
    categories = [c["code"] for c in inventory.list_categories()]
    items = inventory.list_items()
    per_partner = {p["name"]: Counter() for p in partners}
    names = {p["code"]: p["name"] for p in partners}
    for item in items:
        per_partner[names[item["owner"]]][item["category"]] += 1
    unavailable = [i for i in items if i["status"] != "available"]
    lines = [
        f"{len(partners)} partners, {len(inventory.list_sites())} sites, {len(items)} devices",
        "Devices per owner and category:",
    ]
    lines += counts_table(per_partner, categories)
    if unavailable:
        lines.append(
            "Not available: " + ", ".join(f"{i['asset_tag']} ({i['status']})" for i in unavailable)
        )
    return lines


def describe_network(rpc) -> list[str]:
    inventory = rpc.inventory
    partners = {p["code"]: p["name"] for p in inventory.list_partners()}
    items = inventory.list_items()
    lines = []
    for site in inventory.list_sites():
        here = [i for i in items if i["current_site"] == site["code"]]
        lines.append(f"{site['name']} [{site['code']}], {partners[site['partner']]}")
        lines.append(f"  {site['address']}")
        lines.append(f"  hours: {format_hours(site['opening_hours'])}")
        for closure in site["closures"]:
            days = closure["starts_on"] + (
                "" if closure["ends_on"] == closure["starts_on"] else f" to {closure['ends_on']}"
            )
            lines.append(f"  closed {days}: {closure['reason']}")
        by_category = Counter(i["category"] for i in here)
        devices = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items())) or "none"
        lines.append(f"  devices here: {devices}")
        off = Counter(i["status"] for i in here if i["status"] != "available")
        if off:
            lines.append(
                "  not available: " + ", ".join(f"{n} {s}" for s, n in sorted(off.items()))
            )
    lines.append("Kits:")
    lines += [
        f"  {k['name']} [{k['code']}]: {', '.join(k['asset_tags'])}" for k in inventory.list_kits()
    ]
    return lines + [""] + describe_fleet(rpc)


# --- command line --------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.inventory.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--show", action="store_true", help="print the current network, load nothing"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60,
        help="seconds to wait for the inventory service (default 60)",
    )
    args = parser.parse_args(argv)

    config = {"AMQP_URI": settings.amqp_uri()}
    try:
        wait_for(config, "inventory", "list_partners", args.timeout)
    except NotAnswering as error:
        print(
            f"the inventory service does not answer; is `python -m partanum.run inventory` running?\n"
            f"(broker {maybe_sanitize_url(config['AMQP_URI'])}, waited {args.timeout:g} s; last error: {error})",
            file=sys.stderr,
        )
        return 2

    with cluster_proxy(config, ACTOR, timeout=60) as rpc:
        if args.show:
            print("\n".join(describe_network(rpc)))
            return 0
        started = time.monotonic()
        summary = load(rpc)
        took = time.monotonic() - started
        created = (
            ", ".join(f"{n} {kind}" for kind, n in summary["created"].items() if n) or "nothing"
        )
        already = (
            ", ".join(f"{n} {kind}" for kind, n in summary["existing"].items() if n) or "nothing"
        )
        print(
            f"Roseraie demo loaded in {took:.1f} s. Created: {created}. Already there: {already}."
        )
        print("\n".join(describe_fleet(rpc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
