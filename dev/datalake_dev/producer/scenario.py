"""The Raven Energy GmbH scenario: organisations, journeys with their products, workflow
definitions and the German names, places and companies the simulated customers are made of."""

from __future__ import annotations

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
WORKFLOWS: dict[
    str, tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...], tuple[str, ...]]
] = {
    "Wallbox": (
        (
            ("Lead Qualifizierung", ("Kunden anrufen", "Standort und Hausanschluss prüfen")),
            ("Angebot", ("Angebot erstellen", "Angebot versenden")),
            (
                "Installation",
                (
                    "Installationstermin vereinbaren",
                    "Wallbox installieren",
                    "Abnahmeprotokoll hochladen",
                ),
            ),
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

FIRST_NAMES = (
    "Jürgen",
    "Anna",
    "Lukas",
    "Sophie",
    "Björn",
    "Jörg",
    "Marie",
    "Felix",
    "Günther",
    "Lea",
    "Käthe",
    "Max",
)
LAST_NAMES = (
    "Müller",
    "Schmidt",
    "Schäfer",
    "Weiß",
    "Becker",
    "Hoffmann",
    "Krüger",
    "Wagner",
    "Köhler",
    "Schröder",
)
CITIES = (
    ("Köln", "50667"),
    ("Düsseldorf", "40213"),
    ("München", "80331"),
    ("Münster", "48143"),
    ("Nürnberg", "90402"),
)
STREETS = (
    "Hauptstraße",
    "Lindenallee",
    "Gartenweg",
    "Bahnhofstraße",
    "Schloßstraße",
    "Am Mühlbach",
)
COMPANY_SUFFIXES = ("Elektro GmbH", "Immobilien KG", "Hausverwaltung GmbH", "Bau AG")
