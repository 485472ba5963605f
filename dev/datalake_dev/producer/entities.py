"""The CRM side of the world: products, journey submissions (contact, account, opportunity),
orders, and the updates and deletions of entities over time."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from datalake_dev.producer.events import (
    ENTITY_STREAM,
    Produced,
    envelope,
    floor_second,
    iso_ms,
    new_uuid,
    ulid,
)
from datalake_dev.producer.scenario import (
    CITIES,
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    JOURNEYS,
    LAST_NAMES,
    ORG_NAMES,
    STREETS,
)

if TYPE_CHECKING:
    from datalake_dev.producer.world import World


@dataclass
class Entity:
    id: str
    org: str
    schema: str
    payload: dict
    last: datetime  # event time of the latest operation
    updates: int = 0


def payload_diff(old: dict, new: dict) -> dict:
    return {
        "added": {k: v for k, v in new.items() if k not in old},
        "updated": {k: v for k, v in new.items() if k in old and old[k] != v},
        "deleted": {k: v for k, v in old.items() if k not in new},
    }


def relation(*entity_ids: str) -> dict:
    return {"$relation": [{"entity_id": i, "_tags": []} for i in entity_ids]}


class EntityActivity:
    """Entities of every schema, created, updated and deleted by the actions the world schedules."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self.entities: dict[str, Entity] = {}
        self.numbers = itertools.count(10_001)
        self.catalog: dict[str, dict[str, str]] = {
            org: {} for org in world.cfg.orgs
        }  # product title -> id

    def stock_catalog(self, start: datetime) -> None:
        """The product catalog exists before the first journey submission."""
        for org in self.world.cfg.orgs:
            for _, products in JOURNEYS.values():
                for product in products:
                    self.world.schedule(
                        start + timedelta(milliseconds=self.rng.randrange(1_000, 120_000)),
                        partial(self.create_product, org, product),
                    )

    def _org(self) -> str:
        orgs = self.world.cfg.orgs
        return orgs[0] if len(orgs) == 1 or self.rng.random() < 0.6 else self.rng.choice(orgs[1:])

    def _base_payload(self, t: datetime, entity_id: str, org: str, schema: str, title: str) -> dict:
        owner = self.world.owner(org)
        return {
            "_id": entity_id,
            "_schema": schema,
            "_org": org,
            "_title": title,
            "_created_at": iso_ms(t),
            "_updated_at": iso_ms(t),
            "_tags": [],
            "_owners": [{"org_id": org, "user_id": owner}],
            "_acl": {"view": [f"org_{org}"], "edit": [f"org_{org}"], "delete": [f"org_{org}"]},
        }

    def _emit_entity(
        self, t: datetime, entity: Entity, operation: str, diff: dict, source: str
    ) -> None:
        detail = {
            "entity": entity.id,
            "org": entity.org,
            "activity_id": ulid(t, self.rng),
            "operation": operation,
            "params": {"id": entity.id, "slug": entity.schema},
            "payload": copy.deepcopy(entity.payload),
            "diff": copy.deepcopy(diff),
        }
        event = envelope(
            self.rng, "EntityOperation", source, t, detail, with_ms=self.rng.random() < 0.2
        )
        self.world.emit(Produced(ENTITY_STREAM, t, event))
        entity.last = t

    def _create(
        self, t: datetime, org: str, schema: str, title: str, fields_: dict, source: str
    ) -> Entity:
        entity_id = new_uuid(self.rng)
        payload = self._base_payload(t, entity_id, org, schema, title) | fields_
        entity = Entity(entity_id, org, schema, payload, t)
        self.entities[entity_id] = entity
        self._emit_entity(t, entity, "createEntity", payload_diff({}, payload), source)
        return entity

    def _address(self) -> dict:
        city, postal_code = self.rng.choice(CITIES)
        return {
            "street": self.rng.choice(STREETS),
            "street_number": str(self.rng.randint(1, 140)),
            "postal_code": postal_code,
            "city": city,
            "country": "DE",
            "_tags": ["Billing"],
        }

    def create_product(self, org: str, product: tuple[str, str, int, str], t: datetime) -> None:
        title, code, cents, category = product
        fields_ = {
            "name": title,
            "code": code,
            "type": "product",
            "active": True,
            "categories": [category],
            "description": f"{title} – inklusive Beratung durch {ORG_NAMES.get(org, org)}",
            "price": {
                "unit_amount": cents,
                "unit_amount_currency": "EUR",
                "unit_amount_decimal": f"{cents / 100:.2f}",
                "tax": "19%",
                "is_tax_inclusive": True,
            },
            "manufacturer": "Wallbox Chargers S.L."
            if category == "Wallbox"
            else ORG_NAMES.get(org, org),
        }
        entity = self._create(t, org, "product", title, fields_, "entity-api")
        self.catalog[org][title] = entity.id

    def journey(self, t: datetime) -> None:
        """A journey submission: (account and) contact now, the opportunity a few seconds later."""
        org = self._org()
        journey = self.rng.choice(tuple(JOURNEYS))
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        address = self._address()
        email = f"{first}.{last}@example.de".lower().translate(
            str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"})
        )
        account = None
        if self.rng.random() < 0.3:
            company = f"{last} {self.rng.choice(COMPANY_SUFFIXES)}"
            account = self._create(
                t,
                org,
                "account",
                company,
                {
                    "name": company,
                    "tax_id": f"DE{self.rng.randrange(100_000_000, 999_999_999)}",
                    "email": [
                        {
                            "email": f"info@{email.split('@')[0].split('.')[-1]}.example.de",
                            "_tags": ["Rechnung"],
                        }
                    ],
                    "address": [address],
                },
                "submission-api",
            )
        contact = self._create(
            t,
            org,
            "contact",
            f"{first} {last}",
            {
                "salutation": self.rng.choice(("Herr", "Frau", "Divers")),
                "first_name": first,
                "last_name": last,
                "email": [{"email": email, "_tags": ["Privat"]}],
                "phone": [
                    {
                        "phone": f"+49 1{self.rng.randint(50, 79)} "
                        f"{self.rng.randrange(1_000_000, 9_999_999)}",
                        "_tags": ["Mobil"],
                    }
                ],
                "address": [address],
                "consent_email_marketing": "unknown",
                "customer_number": f"K-{next(self.numbers)}",
                **({"account": relation(account.id)} if account else {}),
            },
            "submission-api",
        )
        # Scheduled rather than emitted now, so that nothing lands after the window being simulated.
        self.world.schedule(
            t + timedelta(milliseconds=self.rng.randrange(1_000, 3_000)),
            partial(self._create_opportunity, org, journey, contact, address),
        )

    def _create_opportunity(
        self, org: str, journey: str, contact: Entity, address: dict, t: datetime
    ) -> None:
        workflow, products = JOURNEYS[journey]
        product = self.rng.choice(products)
        product_id = self.catalog[org].get(product[0])
        number = f"OPP-{next(self.numbers)}"
        opportunity = self._create(
            t,
            org,
            "opportunity",
            f"{workflow} – {contact.payload['_title']}",
            {
                "opportunity_number": number,
                "status": "open",
                "source": {"type": "link", "title": journey},
                "description": f"Anfrage über {journey}: {product[0]} für "
                f"{address['street']} {address['street_number']}",
                "customer": relation(contact.id),
                **({"items": relation(product_id)} if product_id else {}),
                "address": [address],
                "journey_data": self._journey_data(workflow),
                "value": {"amount": product[2], "currency": "EUR"},
                "_tags": [workflow.lower(), "journey"],
            },
            "submission-api",
        )
        if self.rng.random() < 0.7:
            contexts = [
                {
                    "id": opportunity.id,
                    "title": opportunity.payload["_title"],
                    "schema": "opportunity",
                },
                {"id": contact.id, "title": contact.payload["_title"], "schema": "contact"},
            ]
            when = t + timedelta(milliseconds=self.rng.randrange(2_000, 30_000))
            self.world.schedule(
                when, partial(self.world.workflows.create_execution, org, workflow, contexts)
            )

    def _journey_data(self, workflow: str) -> dict:
        if workflow == "Wallbox":
            return {
                "installation_site": self.rng.choice(
                    ("Garage", "Carport", "Tiefgarage", "Außenwand")
                ),
                "charging_power_kw": self.rng.choice((11, 22)),
                "cable_length_m": self.rng.randint(3, 25),
                "vehicle": self.rng.choice(
                    ("VW ID.3", "Tesla Model 3", "Hyundai Ioniq 5", "BMW i4")
                ),
                "funding_requested": self.rng.random() < 0.4,
            }
        return {
            "building_type": self.rng.choice(("Einfamilienhaus", "Mehrfamilienhaus", "Reihenhaus")),
            "building_year": self.rng.randint(1950, 2015),
            "living_space_m2": self.rng.randint(80, 900),
            "heating": self.rng.choice(("Gas", "Öl", "Wärmepumpe", "Fernwärme")),
            "reason": self.rng.choice(("Verkauf", "Vermietung", "Modernisierung")),
        }

    def _create_order(self, org: str, opportunity: dict, t: datetime) -> None:
        items = opportunity.get("items", {}).get("$relation", [])
        product = self.entities.get(items[0]["entity_id"]) if items else None
        cents = (
            product.payload["price"]["unit_amount"] if product else opportunity["value"]["amount"]
        )
        net = round(cents / 1.19)
        number = f"OR-{t.year}-{next(self.numbers)}"
        self._create(
            t,
            org,
            "order",
            number,
            {
                "order_number": number,
                "status": "draft",
                "source": opportunity["source"],
                "customer": opportunity["customer"],
                "opportunities": relation(opportunity["_id"]),
                "line_items": [
                    {
                        "product_id": product.id if product else None,
                        "_product": product.payload["_title"] if product else None,
                        "quantity": 1,
                        "unit_amount": cents,
                        "amount_total": cents,
                        "taxes": [{"rate": "19%"}],
                    }
                ],
                "currency": "EUR",
                "amount_subtotal": net,
                "amount_tax": cents - net,
                "amount_total": cents,
                "billing_address": opportunity["address"],
                "payment_method": [{"type": self.rng.choice(("payment_invoice", "payment_sepa"))}],
            },
            "entity-api",
        )

    def _eligible(
        self, t: datetime, schemas: tuple[str, ...], min_updates: int = 0
    ) -> list[Entity]:
        # Second-precision event times must still order an entity's operations strictly.
        return [
            e
            for e in self.entities.values()
            if e.schema in schemas
            and e.updates >= min_updates
            and floor_second(e.last) < floor_second(t)
        ]

    def update_random(self, t: datetime) -> None:
        schema = self.rng.choices(
            ("opportunity", "order", "contact", "account", "product"), (40, 25, 20, 10, 5)
        )[0]
        candidates = self._eligible(t, (schema,)) or self._eligible(
            t, ("opportunity", "order", "contact", "account")
        )
        if not candidates:
            return
        entity = self.rng.choice(candidates)
        old = copy.deepcopy(entity.payload)
        source = getattr(self, f"_mutate_{entity.schema}")(entity, t)
        entity.payload["_updated_at"] = iso_ms(t)
        entity.updates += 1
        self._emit_entity(t, entity, "updateEntity", payload_diff(old, entity.payload), source)

    def _mutate_opportunity(self, entity: Entity, t: datetime) -> str:
        p, rng = entity.payload, self.rng
        if p["status"] == "open":
            p["status"] = "in_progress"
            p["assignee"] = self.world.owner(entity.org)
        elif p["status"] == "in_progress" and rng.random() < 0.6:
            p["status"] = "won" if rng.random() < 0.65 else "lost"
            if p["status"] == "won":
                self.world.schedule(
                    t + timedelta(minutes=rng.randint(5, 120)),
                    partial(self._create_order, entity.org, copy.deepcopy(p)),
                )
            else:
                p["lost_reason"] = rng.choice(("Preis", "Wettbewerber", "Keine Rückmeldung"))
        else:
            p["notes"] = p.get("notes", []) + [
                {
                    "text": rng.choice(
                        ("Kunde zurückgerufen", "Unterlagen erhalten", "Termin verschoben")
                    ),
                    "created_at": iso_ms(t),
                }
            ]
            p["_tags"] = sorted(set(p["_tags"]) | {rng.choice(("prio", "rückruf", "förderung"))})
        return "entity-api"

    def _mutate_order(self, entity: Entity, t: datetime) -> str:
        p = entity.payload
        steps = {"draft": "quote", "quote": "placed", "placed": "complete"}
        if p["status"] in steps and self.rng.random() < 0.9:
            p["status"] = "cancelled" if self.rng.random() < 0.08 else steps[p["status"]]
            return "erp-integration-api"
        p["invoice_number"] = f"RE-{t.year}-{self.rng.randrange(10_000, 99_999)}"
        return "entity-api"

    def _mutate_contact(self, entity: Entity, t: datetime) -> str:
        p = entity.payload
        change = self.rng.choice(("phone", "consent", "address"))
        if change == "phone":
            p["phone"] = p["phone"] + [
                {"phone": f"+49 221 {self.rng.randrange(100_000, 999_999)}", "_tags": ["Festnetz"]}
            ]
        elif change == "consent":
            p["consent_email_marketing"] = self.rng.choice(("active", "inactive"))
        else:
            p["address"] = [self._address()]
        return "entity-api"

    def _mutate_account(self, entity: Entity, t: datetime) -> str:
        entity.payload["customer_segment"] = self.rng.choice(
            ("B2B", "Wohnungswirtschaft", "Gewerbe")
        )
        entity.payload["phone"] = [
            {"phone": f"+49 211 {self.rng.randrange(100_000, 999_999)}", "_tags": ["Zentrale"]}
        ]
        return "entity-api"

    def _mutate_product(self, entity: Entity, t: datetime) -> str:
        price = entity.payload["price"]
        price["unit_amount"] = round(price["unit_amount"] * self.rng.uniform(0.95, 1.05))
        price["unit_amount_decimal"] = f"{price['unit_amount'] / 100:.2f}"
        return "pricing-api"

    def delete_random(self, t: datetime) -> None:
        candidates = self._eligible(
            t, ("opportunity", "order", "contact", "account"), min_updates=2
        )
        if not candidates:
            return
        entity = self.rng.choice(candidates)
        self._emit_entity(t, entity, "deleteEntity", payload_diff({}, {}), "entity-api")
        del self.entities[entity.id]  # nothing is emitted for a deleted entity afterwards
