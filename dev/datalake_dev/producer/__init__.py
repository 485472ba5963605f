"""Sample event producer: Firehose-style landing objects for the Raven Energy GmbH scenario.

A small world (organizations, journeys, products, contacts, accounts, opportunities, orders
and workflow executions) is simulated in event-time order. Its events are then *delivered*
like Kinesis Data Firehose would (SPEC §1): grouped by UTC arrival hour into a few objects
per hour, gzip or plain, NDJSON or concatenated JSON, with rare delivery defects
(duplicates, late arrivals, broken records) whose ground truth is returned alongside.

Everything is seeded: the same seed and start hour give byte-identical objects. The world,
the wire encoding, the defects and the object layout use separate random streams so that
changing the defect rates never changes the good events themselves.
"""

from __future__ import annotations

import copy
import gzip
import heapq
import itertools
import json
import random
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

ENTITY_STREAM = "entity_operations"
WORKFLOW_STREAM = "workflow_executions"
STREAMS = (ENTITY_STREAM, WORKFLOW_STREAM)
AWS_ACCOUNT = "123456789012"
REGION = "eu-central-1"
FIREHOSE_NAME = "datalake-landing"

ENTITY_OPERATIONS = ("createEntity", "updateEntity", "deleteEntity")
WORKFLOW_DETAIL_TYPES = ("WorkflowExecutionCreated", "WorkflowExecutionUpdated", "WorkflowExecutionDeleted")
# Enum values exactly as in reference/workflow-execution-openapi-2023.json.
WORKFLOW_STATUSES = ("STARTED", "DONE", "CLOSED")
SECTION_STATUSES = ("OPEN", "IN_PROGRESS", "COMPLETED")
STEP_STATUSES = ("UNASSIGNED", "ASSIGNED", "COMPLETED", "SKIPPED", "IN_PROGRESS")
_STEP_DONE = ("COMPLETED", "SKIPPED")

BROKEN_KINDS = (
    "truncated",
    "non_utf8",
    "not_object",
    "missing_field",
    "wrong_type",
    "unknown_operation",
    "bad_time",
)

ORG_NAMES = {"739224": "Raven Energy GmbH", "728134": "Sonnenstrom AG"}

# journey title -> (workflow name, products (title, code, price in cents, category))
JOURNEYS: dict[str, tuple[str, tuple[tuple[str, str, int, str], ...]]] = {
    "Wallbox Journey": (
        "Wallbox",
        (
            ("Wallbox Pulsar Plus", "WB-PULSAR-PLUS", 89_900, "Wallbox"),
            ("Wallbox Commander 2", "WB-COMMANDER-2", 129_900, "Wallbox"),
        ),
    ),
    "Energieausweis Journey": (
        "Energieausweis",
        (
            ("Energieausweis Verbrauch", "EA-VERBRAUCH", 7_900, "Energieausweis"),
            ("Energieausweis Bedarf", "EA-BEDARF", 24_900, "Energieausweis"),
        ),
    ),
}

# workflow name -> (phases with their tasks, tasks without phase, closing reasons)
WORKFLOWS: dict[str, tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...], tuple[str, ...]]] = {
    "Wallbox": (
        (
            ("Lead Qualifizierung", ("Kunden anrufen", "Standort und Hausanschluss prüfen")),
            ("Angebot", ("Angebot erstellen", "Angebot versenden")),
            ("Installation", ("Installationstermin vereinbaren", "Wallbox installieren", "Abnahmeprotokoll hochladen")),
        ),
        ("Rechnung versenden",),
        ("Kunde hat abgesagt", "Technisch nicht möglich", "Preis zu hoch", "Doppelte Anfrage"),
    ),
    "Energieausweis": (
        (
            ("Datenaufnahme", ("Gebäudedaten prüfen", "Verbrauchsabrechnungen anfordern")),
            ("Erstellung", ("Energieausweis berechnen", "Qualitätsprüfung")),
        ),
        ("Energieausweis versenden", "Kundenfeedback einholen"),
        ("Unterlagen unvollständig", "Kunde hat abgesagt", "Falscher Ausweistyp"),
    ),
}

_FIRST_NAMES = ("Jürgen", "Anna", "Lukas", "Sophie", "Björn", "Jörg", "Marie", "Felix", "Günther", "Lea", "Käthe", "Max")
_LAST_NAMES = ("Müller", "Schmidt", "Schäfer", "Weiß", "Becker", "Hoffmann", "Krüger", "Wagner", "Köhler", "Schröder")
_CITIES = (("Köln", "50667"), ("Düsseldorf", "40213"), ("München", "80331"), ("Münster", "48143"), ("Nürnberg", "90402"))
_STREETS = ("Hauptstraße", "Lindenallee", "Gartenweg", "Bahnhofstraße", "Schloßstraße", "Am Mühlbach")
_COMPANY_SUFFIXES = ("Elektro GmbH", "Immobilien KG", "Hausverwaltung GmbH", "Bau AG")


# --------------------------------------------------------------------------- public types


@dataclass
class DefectRates:
    """Per good event, the chance of each delivery defect (broken kinds: one extra record each).

    The broken kinds add up to about 1.4% by default: visible in every day's quarantine,
    well under the hourly pipeline's 5% "the hour looks wrong" threshold."""

    duplicate: float = 0.01
    late: float = 0.02
    truncated: float = 0.002
    non_utf8: float = 0.002
    not_object: float = 0.002
    missing_field: float = 0.002
    wrong_type: float = 0.002
    unknown_operation: float = 0.002
    bad_time: float = 0.002

    @classmethod
    def none(cls) -> DefectRates:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def uniform(cls, rate: float) -> DefectRates:
        return cls(**{f.name: rate for f in fields(cls)})


@dataclass
class ProducerConfig:
    seed: int = 42
    entities_per_hour: int = 40  # approximate entity events per hour
    workflow_updates_per_hour: int = 10
    objects_per_hour: int = 3  # per stream
    detail_as_string_share: float = 0.1
    defects: DefectRates = field(default_factory=DefectRates)
    orgs: tuple[str, ...] = ("739224", "728134")


@dataclass
class LandingObject:
    key: str  # full S3 key incl. stream prefix
    body: bytes  # exactly what is uploaded
    arrival_hour: datetime  # tz-aware UTC, minute=0
    stream: str  # "entity_operations" | "workflow_executions"
    events: list[dict]  # well-formed events as delivered (detail may be a JSON string), duplicates included
    broken: list[tuple[str, bytes]]  # (kind, raw record bytes) per broken record

    @property
    def gzipped(self) -> bool:
        return self.key.endswith(".gz")

    @property
    def record_count(self) -> int:
        return len(self.events) + len(self.broken)


def event_detail(event: dict) -> dict:
    """The detail object of a delivered event, whether it came as an object or a JSON string."""
    detail = event["detail"]
    return json.loads(detail) if isinstance(detail, str) else detail


# --------------------------------------------------------------------------- small helpers


def iso_ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_s(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_hour(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _floor_second(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(t: datetime, rng: random.Random) -> str:
    """26-char ULID: 48-bit ms timestamp + 80 random bits, Crockford base32."""
    value = (int(t.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _short_id(rng: random.Random, n: int = 13) -> str:
    # Workflow ids look like "8gja72h6kas6h" in the API examples.
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


def _dumps(value: Any) -> str:
    # Compact and raw UTF-8, like EventBridge records in Firehose.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _random_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span_ms = max(1, int((end - start).total_seconds() * 1000))
    return start + timedelta(milliseconds=rng.randrange(span_ms))


def _diff(old: dict, new: dict) -> dict:
    return {
        "added": {k: v for k, v in new.items() if k not in old},
        "updated": {k: v for k, v in new.items() if k in old and old[k] != v},
        "deleted": {k: v for k, v in old.items() if k not in new},
    }


def _relation(*entity_ids: str) -> dict:
    return {"$relation": [{"entity_id": i, "_tags": []} for i in entity_ids]}


# --------------------------------------------------------------------------- the world


@dataclass
class _Entity:
    id: str
    org: str
    schema: str
    payload: dict
    last: datetime  # event time of the latest operation
    updates: int = 0


@dataclass
class _Execution:
    org: str
    detail: dict
    last: datetime
    workflow: str


@dataclass
class _Produced:
    stream: str
    time: datetime
    event: dict


class _World:
    """Entities and workflow executions evolving in event time; emits events in time order."""

    def __init__(self, config: ProducerConfig, start: datetime, rng: random.Random) -> None:
        self.cfg = config
        self.rng = rng
        self.entities: dict[str, _Entity] = {}
        self.executions: dict[str, _Execution] = {}
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.seq = itertools.count()
        self.out: list[_Produced] = []
        self.numbers = itertools.count(10_001)
        self.users = {org: [str(rng.randrange(10_000_000, 99_999_999)) for _ in range(5)] for org in config.orgs}
        self.catalog: dict[str, dict[str, str]] = {org: {} for org in config.orgs}  # product title -> id
        self.definitions = {org: {wf: self._definition(wf) for wf in WORKFLOWS} for org in config.orgs}
        for org in config.orgs:  # the product catalog exists before the first journey submission
            for _, products in JOURNEYS.values():
                for product in products:
                    self._schedule(start + timedelta(milliseconds=rng.randrange(1_000, 120_000)),
                                   partial(self._create_product, org, product))

    # ----- scheduling

    def _schedule(self, t: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self.queue, (t, next(self.seq), action))

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def plan(self, start: datetime, end: datetime, minimum: int = 0) -> None:
        """Schedule the random activity of [start, end); follow-ups are scheduled by the actions.

        `minimum` guarantees some entity and workflow activity in short windows (follow mode).
        """
        share = (end - start).total_seconds() / 3600 * self.rng.uniform(0.8, 1.2)
        n = self.cfg.entities_per_hour * share
        actions = ([self._journey] * self._count(n * 0.15) + [self._update_random_entity] * self._count(n * 0.52)
                   + [self._delete_random_entity] * self._count(n * 0.06))
        if len(actions) < minimum:
            kinds = (self._journey, self._update_random_entity, self._delete_random_entity)
            actions += self.rng.choices(kinds, (2, 7, 1), k=minimum - len(actions))
        actions += [self._workflow_activity] * max(self._count(self.cfg.workflow_updates_per_hour * share), minimum)
        for action in actions:
            self._schedule(_random_time(self.rng, start, end), action)

    def advance(self, until: datetime) -> list[_Produced]:
        """Run every scheduled action before `until`; return the events they emitted, in time order."""
        while self.queue and self.queue[0][0] < until:
            t, _, action = heapq.heappop(self.queue)
            action(t)
        out, self.out = self.out, []
        return out

    # ----- entities

    def _org(self) -> str:
        orgs = self.cfg.orgs
        return orgs[0] if len(orgs) == 1 or self.rng.random() < 0.6 else self.rng.choice(orgs[1:])

    def _owner(self, org: str) -> str:
        return self.rng.choice(self.users[org])

    def _base_payload(self, t: datetime, entity_id: str, org: str, schema: str, title: str) -> dict:
        owner = self._owner(org)
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

    def _emit_entity(self, t: datetime, entity: _Entity, operation: str, diff: dict, source: str) -> None:
        detail = {
            "entity": entity.id,
            "org": entity.org,
            "activity_id": ulid(t, self.rng),
            "operation": operation,
            "params": {"id": entity.id, "slug": entity.schema},
            "payload": copy.deepcopy(entity.payload),
            "diff": copy.deepcopy(diff),
        }
        event = _envelope(self.rng, "EntityOperation", source, t, detail, with_ms=self.rng.random() < 0.2)
        self.out.append(_Produced(ENTITY_STREAM, t, event))
        entity.last = t

    def _create(self, t: datetime, org: str, schema: str, title: str, fields_: dict, source: str) -> _Entity:
        entity_id = _uuid(self.rng)
        payload = self._base_payload(t, entity_id, org, schema, title) | fields_
        entity = _Entity(entity_id, org, schema, payload, t)
        self.entities[entity_id] = entity
        self._emit_entity(t, entity, "createEntity", _diff({}, payload), source)
        return entity

    def _address(self) -> dict:
        city, postal_code = self.rng.choice(_CITIES)
        return {"street": self.rng.choice(_STREETS), "street_number": str(self.rng.randint(1, 140)),
                "postal_code": postal_code, "city": city, "country": "DE", "_tags": ["Billing"]}

    def _create_product(self, org: str, product: tuple[str, str, int, str], t: datetime) -> None:
        title, code, cents, category = product
        fields_ = {
            "name": title,
            "code": code,
            "type": "product",
            "active": True,
            "categories": [category],
            "description": f"{title} – inklusive Beratung durch {ORG_NAMES.get(org, org)}",
            "price": {"unit_amount": cents, "unit_amount_currency": "EUR",
                      "unit_amount_decimal": f"{cents / 100:.2f}", "tax": "19%", "is_tax_inclusive": True},
            "manufacturer": "Wallbox Chargers S.L." if category == "Wallbox" else ORG_NAMES.get(org, org),
        }
        entity = self._create(t, org, "product", title, fields_, "entity-api")
        self.catalog[org][title] = entity.id

    def _journey(self, t: datetime) -> None:
        """A journey submission: (account and) contact now, the opportunity a few seconds later."""
        org = self._org()
        journey = self.rng.choice(tuple(JOURNEYS))
        first, last = self.rng.choice(_FIRST_NAMES), self.rng.choice(_LAST_NAMES)
        address = self._address()
        email = f"{first}.{last}@example.de".lower().translate(str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"}))
        account = None
        if self.rng.random() < 0.3:
            company = f"{last} {self.rng.choice(_COMPANY_SUFFIXES)}"
            account = self._create(t, org, "account", company, {
                "name": company,
                "tax_id": f"DE{self.rng.randrange(100_000_000, 999_999_999)}",
                "email": [{"email": f"info@{email.split('@')[0].split('.')[-1]}.example.de", "_tags": ["Rechnung"]}],
                "address": [address],
            }, "submission-api")
        contact = self._create(t, org, "contact", f"{first} {last}", {
            "salutation": self.rng.choice(("Herr", "Frau", "Divers")),
            "first_name": first,
            "last_name": last,
            "email": [{"email": email, "_tags": ["Privat"]}],
            "phone": [{"phone": f"+49 1{self.rng.randint(50, 79)} {self.rng.randrange(1_000_000, 9_999_999)}",
                       "_tags": ["Mobil"]}],
            "address": [address],
            "consent_email_marketing": "unknown",
            "customer_number": f"K-{next(self.numbers)}",
            **({"account": _relation(account.id)} if account else {}),
        }, "submission-api")
        # Scheduled rather than emitted now, so that nothing lands after the window being simulated.
        self._schedule(t + timedelta(milliseconds=self.rng.randrange(1_000, 3_000)),
                       partial(self._create_opportunity, org, journey, contact, address))

    def _create_opportunity(self, org: str, journey: str, contact: _Entity, address: dict, t: datetime) -> None:
        workflow, products = JOURNEYS[journey]
        product = self.rng.choice(products)
        product_id = self.catalog[org].get(product[0])
        number = f"OPP-{next(self.numbers)}"
        opportunity = self._create(t, org, "opportunity", f"{workflow} – {contact.payload['_title']}", {
            "opportunity_number": number,
            "status": "open",
            "source": {"type": "link", "title": journey},
            "description": f"Anfrage über {journey}: {product[0]} für {address['street']} {address['street_number']}",
            "customer": _relation(contact.id),
            **({"items": _relation(product_id)} if product_id else {}),
            "address": [address],
            "journey_data": self._journey_data(workflow),
            "value": {"amount": product[2], "currency": "EUR"},
            "_tags": [workflow.lower(), "journey"],
        }, "submission-api")
        if self.rng.random() < 0.7:
            contexts = [
                {"id": opportunity.id, "title": opportunity.payload["_title"], "schema": "opportunity"},
                {"id": contact.id, "title": contact.payload["_title"], "schema": "contact"},
            ]
            when = t + timedelta(milliseconds=self.rng.randrange(2_000, 30_000))
            self._schedule(when, partial(self._create_execution, org, workflow, contexts))

    def _journey_data(self, workflow: str) -> dict:
        if workflow == "Wallbox":
            return {"installation_site": self.rng.choice(("Garage", "Carport", "Tiefgarage", "Außenwand")),
                    "charging_power_kw": self.rng.choice((11, 22)),
                    "cable_length_m": self.rng.randint(3, 25),
                    "vehicle": self.rng.choice(("VW ID.3", "Tesla Model 3", "Hyundai Ioniq 5", "BMW i4")),
                    "funding_requested": self.rng.random() < 0.4}
        return {"building_type": self.rng.choice(("Einfamilienhaus", "Mehrfamilienhaus", "Reihenhaus")),
                "building_year": self.rng.randint(1950, 2015),
                "living_space_m2": self.rng.randint(80, 900),
                "heating": self.rng.choice(("Gas", "Öl", "Wärmepumpe", "Fernwärme")),
                "reason": self.rng.choice(("Verkauf", "Vermietung", "Modernisierung"))}

    def _create_order(self, org: str, opportunity: dict, t: datetime) -> None:
        items = opportunity.get("items", {}).get("$relation", [])
        product = self.entities.get(items[0]["entity_id"]) if items else None
        cents = product.payload["price"]["unit_amount"] if product else opportunity["value"]["amount"]
        net = round(cents / 1.19)
        number = f"OR-{t.year}-{next(self.numbers)}"
        self._create(t, org, "order", number, {
            "order_number": number,
            "status": "draft",
            "source": opportunity["source"],
            "customer": opportunity["customer"],
            "opportunities": _relation(opportunity["_id"]),
            "line_items": [{"product_id": product.id if product else None,
                            "_product": product.payload["_title"] if product else None,
                            "quantity": 1, "unit_amount": cents, "amount_total": cents, "taxes": [{"rate": "19%"}]}],
            "currency": "EUR",
            "amount_subtotal": net,
            "amount_tax": cents - net,
            "amount_total": cents,
            "billing_address": opportunity["address"],
            "payment_method": [{"type": self.rng.choice(("payment_invoice", "payment_sepa"))}],
        }, "entity-api")

    def _eligible(self, t: datetime, schemas: tuple[str, ...], min_updates: int = 0) -> list[_Entity]:
        # Second-precision event times must still order an entity's operations strictly.
        return [e for e in self.entities.values()
                if e.schema in schemas and e.updates >= min_updates and _floor_second(e.last) < _floor_second(t)]

    def _update_random_entity(self, t: datetime) -> None:
        schema = self.rng.choices(("opportunity", "order", "contact", "account", "product"), (40, 25, 20, 10, 5))[0]
        candidates = self._eligible(t, (schema,)) or self._eligible(t, ("opportunity", "order", "contact", "account"))
        if not candidates:
            return
        entity = self.rng.choice(candidates)
        old = copy.deepcopy(entity.payload)
        source = getattr(self, f"_mutate_{entity.schema}")(entity, t)
        entity.payload["_updated_at"] = iso_ms(t)
        entity.updates += 1
        self._emit_entity(t, entity, "updateEntity", _diff(old, entity.payload), source)

    def _mutate_opportunity(self, entity: _Entity, t: datetime) -> str:
        p, rng = entity.payload, self.rng
        if p["status"] == "open":
            p["status"] = "in_progress"
            p["assignee"] = self._owner(entity.org)
        elif p["status"] == "in_progress" and rng.random() < 0.6:
            p["status"] = "won" if rng.random() < 0.65 else "lost"
            if p["status"] == "won":
                self._schedule(t + timedelta(minutes=rng.randint(5, 120)),
                               partial(self._create_order, entity.org, copy.deepcopy(p)))
            else:
                p["lost_reason"] = rng.choice(("Preis", "Wettbewerber", "Keine Rückmeldung"))
        else:
            p["notes"] = p.get("notes", []) + [{"text": rng.choice(("Kunde zurückgerufen", "Unterlagen erhalten",
                                                                     "Termin verschoben")), "created_at": iso_ms(t)}]
            p["_tags"] = sorted(set(p["_tags"]) | {rng.choice(("prio", "rückruf", "förderung"))})
        return "entity-api"

    def _mutate_order(self, entity: _Entity, t: datetime) -> str:
        p = entity.payload
        steps = {"draft": "quote", "quote": "placed", "placed": "complete"}
        if p["status"] in steps and self.rng.random() < 0.9:
            p["status"] = "cancelled" if self.rng.random() < 0.08 else steps[p["status"]]
            return "erp-integration-api"
        p["invoice_number"] = f"RE-{t.year}-{self.rng.randrange(10_000, 99_999)}"
        return "entity-api"

    def _mutate_contact(self, entity: _Entity, t: datetime) -> str:
        p = entity.payload
        change = self.rng.choice(("phone", "consent", "address"))
        if change == "phone":
            p["phone"] = p["phone"] + [{"phone": f"+49 221 {self.rng.randrange(100_000, 999_999)}", "_tags": ["Festnetz"]}]
        elif change == "consent":
            p["consent_email_marketing"] = self.rng.choice(("active", "inactive"))
        else:
            p["address"] = [self._address()]
        return "entity-api"

    def _mutate_account(self, entity: _Entity, t: datetime) -> str:
        entity.payload["customer_segment"] = self.rng.choice(("B2B", "Wohnungswirtschaft", "Gewerbe"))
        entity.payload["phone"] = [{"phone": f"+49 211 {self.rng.randrange(100_000, 999_999)}", "_tags": ["Zentrale"]}]
        return "entity-api"

    def _mutate_product(self, entity: _Entity, t: datetime) -> str:
        price = entity.payload["price"]
        price["unit_amount"] = round(price["unit_amount"] * self.rng.uniform(0.95, 1.05))
        price["unit_amount_decimal"] = f"{price['unit_amount'] / 100:.2f}"
        return "pricing-api"

    def _delete_random_entity(self, t: datetime) -> None:
        candidates = self._eligible(t, ("opportunity", "order", "contact", "account"), min_updates=2)
        if not candidates:
            return
        entity = self.rng.choice(candidates)
        self._emit_entity(t, entity, "deleteEntity", _diff({}, {}), "entity-api")
        del self.entities[entity.id]  # nothing is emitted for a deleted entity afterwards

    # ----- workflow executions

    def _definition(self, workflow: str) -> dict:
        phases, tasks, reasons = WORKFLOWS[workflow]
        return {
            "id": _short_id(self.rng, 9),
            "phases": [(_short_id(self.rng, 9), name, [(_short_id(self.rng, 9), s) for s in steps]) for name, steps in phases],
            "tasks": [(_short_id(self.rng, 9), s) for s in tasks],
            "closing_reasons": [{"id": _short_id(self.rng, 10), "title": r} for r in reasons],
        }

    def _new_step(self, t: datetime, definition_id: str, name: str, execution_id: str,
                  section_id: str | None, enabled: bool, manual: bool = False) -> dict:
        step = {"id": _short_id(self.rng), "definitionId": definition_id, "entityRefId": _uuid(self.rng),
                "name": name, "type": "STEP", "executionType": "MANUAL", "status": "UNASSIGNED"}
        if section_id:
            step["sectionId"] = section_id
        step |= {"executionId": execution_id, "created": iso_ms(t), "lastUpdated": iso_ms(t)}
        if self.rng.random() < 0.6:
            step["dueDate"] = iso_ms(t + timedelta(days=self.rng.randint(2, 21)))
        step |= {"assignedTo": [], "manuallyCreated": manual, "enabled": enabled}
        return step

    def _create_execution(self, org: str, workflow: str, contexts: list[dict], t: datetime) -> None:
        definition = self.definitions[org][workflow]
        execution_id = _short_id(self.rng)
        owner = self._owner(org)
        flow: list[dict] = []
        for i, (section_def, name, steps) in enumerate(definition["phases"]):
            section_id = _short_id(self.rng)
            flow.append({"id": section_id, "definitionId": section_def, "name": name, "type": "SECTION",
                         "status": "OPEN", "assignedTo": [],
                         "steps": [self._new_step(t, d, n, execution_id, section_id, enabled=i == 0) for d, n in steps]})
        flow += [self._new_step(t, d, n, execution_id, None, enabled=True) for d, n in definition["tasks"]]
        first = flow[0]["steps"][0]
        first["status"], first["assignedTo"] = "ASSIGNED", [owner]
        detail = {
            "id": execution_id, "definitionId": definition["id"], "orgId": org, "name": workflow,
            "status": "STARTED", "trigger": self.rng.choice(("AUTOMATIC", "AUTOMATIC", "MANUAL")),
            "creationTime": iso_ms(t), "lastUpdateTime": iso_ms(t),
            "dueDate": iso_ms(t + timedelta(days=self.rng.choice((14, 30)))),
            "assignedTo": [owner], "contexts": contexts,
            "configuredClosingReasonSnapshot": definition["closing_reasons"],
            "enableECPWorkflow": False, "version": 1, "flow": flow,
        }
        execution = _Execution(org, detail, t, workflow)
        self.executions[execution_id] = execution
        self._emit_workflow(t, execution, "WorkflowExecutionCreated")

    def _emit_workflow(self, t: datetime, execution: _Execution, detail_type: str) -> None:
        event = _envelope(self.rng, detail_type, "workflow-execution-api", t, copy.deepcopy(execution.detail),
                          with_ms=self.rng.random() < 0.2)
        self.out.append(_Produced(WORKFLOW_STREAM, t, event))
        execution.last = t

    def _workflow_activity(self, t: datetime) -> None:
        # Whole seconds apart, so ordering by the (second-precision) event time is unambiguous too.
        alive = [e for e in self.executions.values() if _floor_second(e.last) < _floor_second(t)]
        if alive and self.rng.random() < 0.03:
            self._delete_execution(self.rng.choice(alive), t)
            return
        started = [e for e in alive if e.detail["status"] == "STARTED"]
        if not started:
            return
        # Case workers mostly pick up the oldest open cases, so some executions finish.
        execution = self.rng.choice(started[:3] if self.rng.random() < 0.6 else started)
        roll = self.rng.random()
        if roll < 0.05:
            self._close(execution, t)
        elif roll < 0.09:
            self._remove_step(execution)
        elif roll < 0.13:
            self._add_manual_step(execution, t)
        else:
            for _ in range(self.rng.randint(1, 3)):
                self._progress_step(execution, t)
        self._refresh(execution, t)
        self._touch(execution, t)
        self._emit_workflow(t, execution, "WorkflowExecutionUpdated")

    def _touch(self, execution: _Execution, t: datetime) -> None:
        execution.detail["lastUpdateTime"] = iso_ms(t)  # strictly increasing: see _workflow_activity
        execution.detail["version"] += 1

    def _delete_execution(self, execution: _Execution, t: datetime) -> None:
        self._touch(execution, t)
        self._emit_workflow(t, execution, "WorkflowExecutionDeleted")
        del self.executions[execution.detail["id"]]

    def _close(self, execution: _Execution, t: datetime) -> None:
        d = execution.detail
        reasons = d["configuredClosingReasonSnapshot"]
        d["status"] = "CLOSED"
        d["selectedClosingReasons"] = copy.deepcopy(self.rng.sample(reasons, 2 if self.rng.random() < 0.3 else 1))
        d["closingReasonDescription"] = "Vorgang durch Sachbearbeitung geschlossen"
        d["completedTime"] = iso_ms(t)
        d["lastModifiedBy"] = self._owner(execution.org)

    @staticmethod
    def _containers(detail: dict) -> list[list[dict]]:
        """Step lists: one per section, plus the flow itself for tasks without a phase."""
        return [item["steps"] for item in detail["flow"] if item.get("type") == "SECTION"] + [detail["flow"]]

    def _open_steps(self, detail: dict) -> list[dict]:
        return [s for steps in self._containers(detail) for s in steps
                if s.get("type") == "STEP" and s["enabled"] and s["status"] not in _STEP_DONE]

    def _remove_step(self, execution: _Execution) -> None:
        removable = [(steps, s) for steps in self._containers(execution.detail) for s in steps
                     if s.get("type") == "STEP" and s["status"] in ("UNASSIGNED", "ASSIGNED")
                     and (steps is execution.detail["flow"] or len(steps) > 1)]
        if removable:
            steps, step = self.rng.choice(removable)
            steps.remove(step)

    def _add_manual_step(self, execution: _Execution, t: datetime) -> None:
        d = execution.detail
        name = self.rng.choice(("Rückfrage beim Kunden", "Fotos anfordern", "Netzbetreiber informieren"))
        d["flow"].append(self._new_step(t, _short_id(self.rng, 9), name, d["id"], None, enabled=True, manual=True))

    def _progress_step(self, execution: _Execution, t: datetime) -> None:
        candidates = self._open_steps(execution.detail)
        if not candidates:
            return
        step = self.rng.choice(candidates[:3])  # mostly in flow order
        ts = iso_ms(t)
        if step["status"] == "UNASSIGNED":
            if self.rng.random() < 0.05:
                step["status"] = "SKIPPED"
            else:
                step["status"], step["assignedTo"] = "ASSIGNED", [self._owner(execution.org)]
        elif step["status"] == "ASSIGNED":
            step["status"], step["assignedToInProgress"], step["startedTime"] = "IN_PROGRESS", step["assignedTo"][0], ts
        else:
            step["status"], step["completedTime"] = "COMPLETED", ts
        step["lastUpdated"] = ts

    def _refresh(self, execution: _Execution, t: datetime) -> None:
        """Derive section statuses, phase gating and DONE from the step statuses."""
        d, ts = execution.detail, iso_ms(t)
        previous_done = True
        for section in (item for item in d["flow"] if item.get("type") == "SECTION"):
            steps = section["steps"]
            for step in steps:
                if previous_done and not step["enabled"]:
                    step["enabled"], step["lastUpdated"] = True, ts
            started = any(s["status"] in ("IN_PROGRESS", *_STEP_DONE) for s in steps)
            done = bool(steps) and all(s["status"] in _STEP_DONE for s in steps)
            if started and "startedTime" not in section:
                section["startedTime"] = ts
            if done:
                section["status"] = "COMPLETED"
                section.setdefault("completedTime", ts)
            else:
                section["status"] = "IN_PROGRESS" if started else "OPEN"
            previous_done = previous_done and done
        if d["status"] == "STARTED" and previous_done and not self._open_steps(d):
            d["status"], d["completedTime"] = "DONE", ts


def _envelope(rng: random.Random, detail_type: str, source: str, t: datetime, detail: dict, with_ms: bool) -> dict:
    return {"version": "0", "id": _uuid(rng), "detail-type": detail_type, "source": source, "account": AWS_ACCOUNT,
            "time": iso_ms(t) if with_ms else iso_s(t), "region": REGION, "resources": [], "detail": detail}


# --------------------------------------------------------------------------- delivery


@dataclass
class _Delivery:
    stream: str
    arrival: datetime
    chunk: int  # which object of the arrival hour
    position: float  # order inside the object
    raw: bytes
    event: dict | None  # None for a broken record
    kind: str | None = None


def _wire(event: dict, rng: random.Random, string_share: float) -> tuple[dict, bytes]:
    """The event as delivered: detail sometimes as a JSON string; serialized once so duplicates are identical."""
    if rng.random() < string_share:
        event = event | {"detail": _dumps(event["detail"])}
    return event, _dumps(event).encode("utf-8")


def _late_arrival(hour: datetime, last_hour: datetime, rng: random.Random) -> datetime:
    """An arrival hour after `hour` (hours or days later), within the simulated range."""
    remaining = int((last_hour - hour).total_seconds() // 3600)
    if remaining <= 0:
        return hour
    next_month = (hour.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0)
    if next_month <= last_hour and rng.random() < 0.5:  # late across a month boundary
        room = int((last_hour - next_month).total_seconds() // 3600)
        return next_month + timedelta(hours=rng.randint(0, min(6, room)))
    delay = rng.randint(1, 6) if rng.random() < 0.7 else rng.randint(24, 72)
    return hour + timedelta(hours=min(delay, remaining))


def _deliver(produced: Iterable[_Produced], last_hour: datetime, chunks: int, config: ProducerConfig,
             wire_rng: random.Random, rng: random.Random) -> list[_Delivery]:
    rates = config.defects
    out: list[_Delivery] = []
    for item in produced:
        wire, raw = _wire(item.event, wire_rng, config.detail_as_string_share)
        hour = floor_hour(item.time)
        position = (item.time - hour).total_seconds()
        delivery = _Delivery(item.stream, hour, int(position * chunks / 3600), position, raw, wire)
        if rng.random() < rates.late:
            arrival = _late_arrival(hour, last_hour, rng)
            if arrival > hour:
                delivery.arrival, delivery.chunk, delivery.position = arrival, rng.randrange(chunks), rng.uniform(0, 3600)
        out.append(delivery)
        if rng.random() < rates.duplicate:
            out.append(_duplicate(delivery, last_hour, chunks, rng))
        for kind in BROKEN_KINDS:
            if rng.random() < getattr(rates, kind):
                raw_broken = _break(kind, item.stream, item.event, rng)
                out.append(_Delivery(item.stream, delivery.arrival, rng.randrange(chunks), rng.uniform(0, 3600),
                                     raw_broken, None, kind))
    return out


def _duplicate(original: _Delivery, last_hour: datetime, chunks: int, rng: random.Random) -> _Delivery:
    """Same bytes again: in the same object, another object of the hour, or a later hour."""
    copy_ = _Delivery(original.stream, original.arrival, original.chunk, original.position + rng.uniform(0.001, 60),
                      original.raw, original.event)
    mode = rng.choice(("same_object", "other_object", "later_hour"))
    remaining = int((last_hour - original.arrival).total_seconds() // 3600)
    if mode == "later_hour" and remaining > 0:
        copy_.arrival = original.arrival + timedelta(hours=rng.randint(1, min(remaining, 48)))
        copy_.chunk, copy_.position = rng.randrange(chunks), rng.uniform(0, 3600)
    elif mode != "same_object" and chunks > 1:
        copy_.chunk = rng.choice([c for c in range(chunks) if c != original.chunk])
    return copy_


# ----- broken records: each derived from a real event (with a fresh id) and never applied to the world

_BAD_TIMES = ("28/11/2026 10:15:03", "2026-13-45T25:61:00Z", "not-a-timestamp")


def _break(kind: str, stream: str, event: dict, rng: random.Random) -> bytes:
    ev = copy.deepcopy(event) | {"id": _uuid(rng)}
    detail = ev["detail"]
    if kind == "truncated":
        raw = _dumps(ev).encode("utf-8")
        return raw[: rng.randrange(len(raw) // 4, len(raw) - 1)]
    if kind == "non_utf8":
        return _non_utf8(_dumps(ev))
    if kind == "not_object":
        # No bare numbers: two of them back to back in a concatenated object would merge.
        return _dumps(rng.choice(([ev], _dumps(ev), None))).encode("utf-8")
    if kind == "missing_field":
        target, name = rng.choice(
            [(ev, "id"), (ev, "time"), (ev, "detail"), (detail, "entity")] if stream == ENTITY_STREAM
            else [(ev, "id"), (ev, "time"), (detail, "id"), (detail, "lastUpdateTime")])
        del target[name]
    elif kind == "wrong_type":
        if stream == ENTITY_STREAM:
            target, name, value = rng.choice([(detail, "org", [detail["org"]]), (ev, "time", 1_795_000_000),
                                              (detail, "entity", 12345)])
        else:
            target, name, value = rng.choice([(detail, "orgId", [detail["orgId"]]), (detail, "flow", "[]"),
                                              (detail, "lastUpdateTime", 1_795_000_000_000)])
        target[name] = value
    elif kind == "unknown_operation":
        if stream == ENTITY_STREAM:
            detail["operation"] = rng.choice(("renameEntity", "mergeEntity", "archiveEntity"))
        else:
            ev["detail-type"] = rng.choice(("WorkflowExecutionArchived", "WorkflowExecutionMoved"))
    elif kind == "bad_time":
        target, name = (ev, "time") if stream == ENTITY_STREAM or rng.random() < 0.5 else (detail, "lastUpdateTime")
        target[name] = rng.choice(_BAD_TIMES)
    else:
        raise ValueError(f"unknown broken kind {kind!r}")
    return _dumps(ev).encode("utf-8")


def _non_utf8(text: str) -> bytes:
    """A record written by a Windows-1252 client: umlauts become single, invalid UTF-8 bytes."""
    raw = text.encode("cp1252", errors="replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    # Pure ASCII record: put a Latin-1 byte into the first string value.
    return raw.replace(b'":"', b'":"\xfc', 1)


# --------------------------------------------------------------------------- objects


def _object_key(stream: str, arrival: datetime, chunk: int, chunks: int, gzipped: bool, rng: random.Random) -> str:
    slice_seconds = 3600 // chunks
    written = arrival + timedelta(seconds=min(3599, (chunk + 1) * slice_seconds - 1 - rng.randrange(5)))
    name = f"{FIREHOSE_NAME}-1-{written:%Y-%m-%d-%H-%M-%S}-{_uuid(rng)}"
    return f"{stream}/{arrival:%Y/%m/%d/%H}/{name}{'.gz' if gzipped else ''}"


def _assemble(deliveries: list[_Delivery], chunks: int, rng: random.Random) -> list[LandingObject]:
    groups: dict[tuple[datetime, str, int], list[_Delivery]] = {}
    for d in deliveries:
        groups.setdefault((d.arrival, d.stream, d.chunk), []).append(d)
    objects = []
    for (arrival, stream, chunk), group in sorted(groups.items()):
        group.sort(key=lambda d: d.position)
        gzipped, ndjson = rng.random() < 0.5, rng.random() < 0.5
        body = b"".join(d.raw + b"\n" for d in group) if ndjson else b"".join(d.raw for d in group)
        if gzipped:
            body = gzip.compress(body, mtime=0)  # mtime=0 keeps the bytes deterministic
        objects.append(LandingObject(
            key=_object_key(stream, arrival, chunk, chunks, gzipped, rng), body=body, arrival_hour=arrival,
            stream=stream, events=[d.event for d in group if d.kind is None],
            broken=[(d.kind, d.raw) for d in group if d.kind is not None]))
    return objects


def _rngs(config: ProducerConfig, start: datetime) -> tuple[random.Random, ...]:
    # The start is part of the seed: two runs over different ranges must not reuse event ids.
    base = f"{config.seed}-{iso_s(start)}"
    return tuple(random.Random(f"{base}-{part}") for part in ("world", "wire", "defects", "objects"))


# --------------------------------------------------------------------------- public API


def simulate(start_hour: datetime, hours: int, config: ProducerConfig = ProducerConfig()) -> list[LandingObject]:
    """Landing objects for the arrival hours [start_hour, start_hour + hours): pure and deterministic."""
    if hours < 1:
        return []
    start = floor_hour(start_hour)
    last_hour = start + timedelta(hours=hours - 1)
    world_rng, wire_rng, defect_rng, object_rng = _rngs(config, start)
    world = _World(config, start, world_rng)
    produced: list[_Produced] = []
    for h in range(hours):  # one world across all hours keeps entity state consistent
        hour = start + timedelta(hours=h)
        world.plan(hour, hour + timedelta(hours=1))
        produced += world.advance(hour + timedelta(hours=1))
    chunks = max(1, config.objects_per_hour)
    deliveries = _deliver(produced, last_hour, chunks, config, wire_rng, defect_rng)
    return _assemble(deliveries, chunks, object_rng)


def upload(objects: Iterable[LandingObject], s3_client, bucket: str) -> int:
    count = 0
    for obj in objects:
        s3_client.put_object(Bucket=bucket, Key=obj.key, Body=obj.body)
        count += 1
    return count


# `datalake produce --hours`: the whole range is simulated in memory before the upload, so it
# is bounded (30 days: ~1 min and a few hundred MB); 0 or fewer hours would write nothing.
MAX_PAST_HOURS = 720


def validate_past_hours(hours) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_PAST_HOURS:
        raise ValueError(f"hours must be a whole number from 1 to {MAX_PAST_HOURS} (30 days), not {hours!r}")
    return hours


def produce_past_hours(s3_client, bucket: str, hours: int, now: datetime | None = None,
                       config: ProducerConfig = ProducerConfig()) -> list[LandingObject]:
    """Simulate and upload the `hours` full hours before the current one (1 to MAX_PAST_HOURS)."""
    hours = validate_past_hours(hours)
    current = floor_hour(now or datetime.now(UTC))
    objects = simulate(current - timedelta(hours=hours), hours, config)
    upload(objects, s3_client, bucket)
    return objects


def follow(s3_client, bucket: str, interval_seconds: float = 60, config: ProducerConfig = ProducerConfig(),
           stop: threading.Event | None = None, log: Callable[[str], Any] = print, *,
           clock: Callable[[], datetime] | None = None, max_ticks: int | None = None) -> None:
    """Continuous mode: every interval, one small object per stream for the current arrival hour.

    The world lives in memory across ticks. Late events are held back and delivered in a later
    tick (so in a later arrival hour when the tick crosses an hour).
    """
    clock = clock or (lambda: datetime.now(UTC))
    last = clock() - timedelta(seconds=max(interval_seconds, 1))
    world_rng, wire_rng, defect_rng, object_rng = _rngs(config, last)
    world = _World(config, last, world_rng)
    no_late = replace(config, defects=replace(config.defects, late=0.0))  # follow holds late events itself
    held: list[tuple[datetime, _Delivery]] = []
    ticks = 0
    try:
        while not (stop is not None and stop.is_set()) and (max_ticks is None or ticks < max_ticks):
            now = clock()
            world.plan(last, now, minimum=1)
            arrival = floor_hour(now)
            deliveries = _deliver(world.advance(now), arrival, 1, no_late, wire_rng, defect_rng)
            ready = [d for release, d in held if release <= now]
            held = [(release, d) for release, d in held if release > now]
            for d in deliveries:
                if d.kind is None and defect_rng.random() < config.defects.late:
                    held.append((now + timedelta(minutes=defect_rng.randint(5, 90)), d))
                else:
                    ready.append(d)
            for d in ready:
                d.arrival, d.chunk = arrival, 0
            objects = _assemble(ready, 1, object_rng)
            upload(objects, s3_client, bucket)
            for obj in objects:
                log(f"wrote s3://{bucket}/{obj.key}: {len(obj.events)} events, {len(obj.broken)} broken")
            last, ticks = now, ticks + 1
            if max_ticks is not None and ticks >= max_ticks:
                break
            if stop is not None:
                stop.wait(interval_seconds)
            else:
                time.sleep(interval_seconds)
    except KeyboardInterrupt:
        log("producer stopped")
