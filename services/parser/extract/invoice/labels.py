"""Label synonyms for invoice fields, table columns and total rows.

English first; German, French, Dutch, Polish and Indian (GST) wording as invoices print it.
Patterns run on :func:`layout.norm` text (lower case, accents removed) and match at the
start of a segment; the rest of the segment after the match may hold the value.
"""

from __future__ import annotations

import re

__all__ = [
    "BUYER_LABELS",
    "COLUMN_LABELS",
    "FIELD_LABELS",
    "SELLER_LABELS",
    "TAX_ID_LABELS",
    "TOTAL_LABELS",
    "match_label",
]

_NO = r"(?:no\b\.?|nr\b\.?|n[o°º]\.?|num(?:ber|ero|mer)?\.?|#|number)"

# field → [(pattern, weight)], most specific first
FIELD_LABELS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "invoice_number": [
        (re.compile(p), w)
        for p, w in (
            (rf"^(?:tax\s+|gst\s+|vat\s+|commercial\s+|proforma\s+)?invoice\s*{_NO}", 1.0),
            (r"^invoice\s*id\b", 1.0),
            (rf"^inv\.?\s*{_NO}", 0.95),
            (rf"^bill\s*{_NO}", 0.8),
            (
                r"^(?:handels|teil|schluss|abschlags)?rechnungs?\s*-?\s*(?:nummer|nr\b\.?|no\b\.?)",
                1.0,
            ),
            (r"^rechnungsnr\.?", 1.0),
            (r"^(?:numero|n[o°º])\s*(?:de\s+)?(?:la\s+)?facture", 1.0),
            (rf"^facture\s*{_NO}", 1.0),
            (r"^factuur\s*-?\s*(?:nummer|nr\b\.?|no\b\.?)", 1.0),
            (r"^(?:numer|nr\.?)\s+faktury(?:\s+vat)?", 1.0),
            (rf"^faktura\s+(?:vat\s+)?{_NO}", 1.0),
            (rf"^document\s*{_NO}", 0.6),
            (r"^belegnummer|^beleg-?nr\.?", 0.7),
            (r"^(?:tax\s+)?invoice\b", 0.5),
            (r"^(?:handels|teil|schluss)?rechnung\b", 0.5),
            (r"^facture\b", 0.5),
            (r"^avoir\b", 0.5),
            (r"^gutschrift\b", 0.5),
            (r"^credit\s+note\b", 0.5),
            (r"^factuur\b", 0.5),
            (r"^faktura(?:\s+vat)?\b", 0.5),
        )
    ],
    "invoice_date": [
        (re.compile(p), w)
        for p, w in (
            (r"^(?:tax\s+)?invoice\s*date\b", 1.0),
            (r"^date\s+of\s+(?:issue|invoice)\b", 1.0),
            (r"^(?:issue|issued|billing|bill)\s*date\b", 0.95),
            (r"^invoice\s+issued(?:\s+on)?\b", 0.9),
            (r"^rechnungs-?\s*datum\b", 1.0),
            (r"^(?:ausstellungs|belegdatum|beleg-datum)", 0.9),
            (r"^date\s+(?:de\s+(?:la\s+)?)?facture?\b", 1.0),
            (r"^date\s+d'emission\b", 0.9),
            (r"^factuur\s*-?\s*datum\b", 1.0),
            (r"^data\s+wystawienia\b", 1.0),
            (r"^dated?\b", 0.5),
            (r"^datum\b", 0.5),
            (r"^data\b", 0.4),
        )
    ],
    "due_date": [
        (re.compile(p), w)
        for p, w in (
            (r"^(?:payment\s+)?due\s*(?:date|by|on)?\b", 1.0),
            (r"^pay(?:able)?\s+by\b", 0.9),
            (r"^faellig|^fallig(?:keit)?(?:sdatum)?\b", 1.0),
            (r"^zahlungsziel\b", 0.9),
            (r"^zahlbar\s+bis\b", 0.9),
            (r"^date\s+d'?\s*echeance\b", 1.0),
            (r"^echeance\b", 0.9),
            (r"^date\s+limite(?:\s+de\s+(?:paiement|reglement))?\b", 1.0),
            (r"^a\s+payer\s+avant\s+le\b", 0.9),
            (r"^vervaldatum\b|^vervaldag\b|^uiterste\s+betaaldatum\b", 1.0),
            (r"^termin\s+p[l]atnosci\b", 1.0),
        )
    ],
    "currency": [
        (re.compile(p), w)
        for p, w in (
            (r"^(?:invoice\s+|billing\s+)?currency\s*(?::|$)", 1.0),
            (r"^(?:rechnungs)?wahrung\s*(?::|$)", 1.0),
            (r"^devise\s*(?::|$)", 1.0),
            (r"^valuta\s*(?::|$)", 1.0),
            (r"^waluta\s*(?::|$)", 1.0),
        )
    ],
}

BUYER_LABELS = re.compile(
    r"^(?:bill(?:ed)?\s*to|invoice(?:d)?\s*to|sold\s*to|buyer|customer(?!\s*(?:no|number|id|care|service))"
    r"|client(?!\s*(?:no|id|number))|recipient|billing\s+address|bill\s+to\s+party|details\s+of\s+receiver"
    r"|rechnungsempfanger|rechnungsanschrift|kaufer(?:/leistungsempfanger)?|leistungsempfanger"
    r"|kunde\b(?!n)|empfanger|facture\s+a|facturer\s+a|adresse\s+de\s+facturation|destinataire"
    r"|factuuradres|gefactureerd\s+aan|klant\b|nabywca|odbiorca|ship\s*to|deliver\s*to|shipping\s+address"
    r"|lieferanschrift|adresse\s+de\s+livraison|afleveradres)"
)
SHIP_LABEL = re.compile(
    r"^(?:ship\s*to|deliver\s*to|shipping\s+address|lieferanschrift|adresse\s+de\s+livraison|afleveradres)"
)
SELLER_LABELS = re.compile(
    r"^(?:sold\s*by|seller|supplier|vendor|from\b|bill(?:ed)?\s*from|issued\s+by|service\s+provider"
    r"|details\s+of\s+supplier|verkaufer|lieferant\b|leistungserbringer|rechnungssteller"
    r"|vendeur|fournisseur|emetteur|prestataire|leverancier|verkoper|sprzedawca|wystawca)"
)
# labels whose value is a tax id; "buyer" ones say whose
TAX_ID_LABELS = re.compile(
    r"(?:gstin|gst\s*(?:in|no|number|reg)|vat\s*(?:id|no|number|reg)|vat\b|tax\s*id|tin\b"
    r"|ust\.?-?\s*id|ust-?idnr|umsatzsteuer-?id|steuernummer|st\.?-?nr|tva\b|n[o°]\s*tva|btw|nip\b"
    r"|abn\b|ein\b|pan\b)"
)
BUYER_TAX_HINT = re.compile(
    r"(?:client|customer|buyer|recipient|kunde|kunden|acheteur|klant|nabywc|receiver|billed)"
)

COLUMN_LABELS: list[tuple[str, re.Pattern[str]]] = [
    (
        "pos",
        re.compile(
            r"^(?:#|n[°º]\.?|s\.?\s*no\.?|sr\.?\s*no\.?|sl\.?\s*no\.?|no\.?|nr\.?|pos\.?|position|item\s*#|lp\.?|line)$"
        ),
    ),
    (
        "hsn",
        re.compile(r"^(?:hsn|sac|hsn\s*/\s*sac|hsn/sac|hsn\s*code|sac\s*code|hsn\s*or\s*sac)\b"),
    ),
    (
        "tax_rate",
        re.compile(
            r"^(?:(?:gst|vat|tax|igst|cgst|sgst|ust|mwst|tva|btw|vat)\s*(?:rate|%|\(%\))|tax\s*\(%\)|%\s*(?:vat|tva|btw|ust|mwst)"
            r"|rate\s*%|taux(?:\s+tva)?|steuersatz|ust\.?\s*%?|mwst\.?\s*%?|btw\s*%?|tva\s*%?|vat\s*%|stawka(?:\s+vat)?|%)$"
        ),
    ),
    (
        "tax_amount",
        re.compile(
            r"^(?:tax(?:\s*amount|\s*amt)?|vat(?:\s*amount)?|gst(?:\s*amount)?|igst|cgst|sgst|montant\s+tva|mwst\.?-?betrag"
            r"|ust\.?-?betrag|btw\s*bedrag|kwota\s+vat|steuer(?:betrag)?)$"
        ),
    ),
    (
        "unit_price",
        re.compile(
            r"^(?:unit\s*(?:price|cost|rate)|price(?:\s*/\s*unit|\s*per\s*(?:unit|item))?|rate|unit\s*rate|each|cost"
            r"|(?:vk-?|netto-?|stuck-?|einzel-?)?preis|einzelpreis|nettopreis|e-?preis|prix(?:\s+unitaire)?(?:\s+ht)?|p\.?u\.?(?:\s+ht)?"
            r"|prijs(?:\s+per\s+stuk)?|stukprijs|cena(?:\s+jedn\.?|\s+netto)?|price\s+ex\.?\s*vat)\b"
        ),
    ),
    (
        "qty",
        re.compile(
            r"^(?:qty|quantity|qnty|quantities|units?|hours|hrs|days|menge|anzahl|stuck|quantite|qte|qty\.|aantal|ilosc|ilo[sś]c|nos)\b\.?"
        ),
    ),
    ("unit", re.compile(r"^(?:uom|unit\s*of\s*measure|einheit|me|unite|eenheid|j\.?\s*m\.?)$")),
    ("discount", re.compile(r"^(?:disc(?:ount)?\.?|rabatt|remise|rem\.?|korting|rabat)\b")),
    (
        "amount",
        re.compile(
            r"^(?:amount|line\s*total|total|net\s*amount|taxable\s*(?:value|amount)|ext(?:ended)?\.?\s*price|subtotal|value|price\s+total"
            r"|betrag|gesamt(?:preis|betrag)?|zeilenbetrag|positionsbetrag|summe|netto(?:betrag)?|montant(?:\s+ht)?|total\s+ht|prix\s+(?:total\s+)?ht"
            r"|bedrag|totaal|prijs\s+incl\.?\s+btw|wartosc(?:\s+netto)?|kwota|amount\s*\(.*\)|total\s*\(.*\))\b"
        ),
    ),
    (
        "description",
        re.compile(
            r"^(?:description|item(?:s)?(?:\s*description)?|particulars|product(?:s)?|service(?:s)?|details|article|title|name"
            r"|beschreibung|bezeichnung|artikel(?:bezeichnung)?|leistung|produkt|designation|libelle|omschrijving|artikel|nazwa"
            r"|towar|opis|goods|descr\.?)\b"
        ),
    ),
]

# total rows: kind → pattern (searched at the start of the row's label text)
TOTAL_LABELS: list[tuple[str, re.Pattern[str]]] = [
    (
        "amount_due",
        re.compile(
            r"^(?:(?:total\s+)?amount\s+(?:due|payable)|balance\s+due|due\s+payable|payable\s+amount|residual(?:\s+amount)?|total\s+due|amount\s+to\s+pay|total\s+amount\s+due|net\s+payable"
            r"|zahlbetrag|zu\s+zahlen(?:der\s+betrag)?|offener\s+betrag|restbetrag|solde\s+a\s+payer|net\s+a\s+payer|reste\s+a\s+payer"
            r"|montant\s+a\s+payer|montant\s+du|te\s+betalen|openstaand|do\s+zaplaty|pozostalo\s+do\s+zaplaty)"
        ),
    ),
    (
        "subtotal",
        re.compile(
            r"^(?:sub\s*-?\s*total|total\s+(?:before|excl\.?|excluding|ex\.?|without|net|w/o)\s*(?:of\s+)?(?:tax|vat|gst)?|net\s+(?:total|amount)"
            r"|total\s+taxable(?:\s+(?:value|amount))?|taxable\s+(?:value|amount)|amount\s+before\s+tax|total\s+net"
            r"|zwischensumme|nettobetrag|netto\s*summe|summe\s+netto|gesamt\s+netto|nettosumme|rechnungssumme\s+ohne|summe\s+ohne|gesamtbetrag\s+netto|warenwert|positionssumme"
            r"|total\s+ht|montant\s+ht|sous-?\s*total|total\s+hors\s+tax|base\s+ht"
            r"|grondslag|tax\s+base|taxable\s+base|subtotaal|totaal\s+excl|exclusief\s+btw|netto\s*bedrag|razem\s+netto|suma\s+netto|wartosc\s+netto)"
        ),
    ),
    (
        "tax_total",
        re.compile(
            r"^(?:total\s+(?:tax|taxes|vat|gst)(?:\s+amount)?|tax\s+total|vat\s+total|total\s+tax\s+amount|tax\s+amount|gst\s+amount|vat\s+amount"
            r"|steuerbetrag|summe\s+(?:ust|mwst|umsatzsteuer)|gesamt\s+(?:ust|mwst)|ust\.?-?\s*betrag|mwst\.?-?\s*betrag"
            r"|total\s+(?:tva|taxes)|montant\s+(?:de\s+la\s+)?tva|totaal\s+btw|btw\s+bedrag|razem\s+vat|kwota\s+vat)"
        ),
    ),
    (
        "total",
        re.compile(
            r"^(?:grand\s+total|invoice\s+total|(?:factuur|rechnungs|invoice|facture)\s*(?:totaal|total|summe)|total\s+for\s+this\s+invoice|total(?:\s+(?:amount|invoice|incl\.?|including|inc\.?|with|gross|payable))?\b"
            r"|amount\s+(?:incl|including)|gross\s+(?:total|amount)"
            r"|gesamtbetrag|gesamtsumme|rechnungsbetrag|rechnungssumme|bruttosumme|bruttobetrag|endbetrag|summe\s+brutto|gesamt\s+brutto|summe\b"
            r"|total\s+ttc|montant\s+ttc|net\s+ttc|total\s+general|totaal(?:\s+incl)?|totaalbedrag|razem(?:\s+brutto)?|suma(?:\s+brutto)?|wartosc\s+brutto|ogolem)"
        ),
    ),
]
PAID_LABEL = re.compile(
    r"^(?:(?:amount\s+)?paid|payments?|less\s+(?:paid|advance|deposit)|deposit|advance|erhaltene\s+anzahlung|anzahlung|acompte|deja\s+paye|betaald|zaplacono)"
)
TAX_LINE = re.compile(
    r"\b(cgst|sgst|utgst|igst|gst|vat|sales\s+tax|tax|ust|mwst|umsatzsteuer|mehrwertsteuer|tva|btw|iva|vat|podatek\s+vat)\b"
)
NOT_ITEM = re.compile(
    r"^(?:page\s+\d|seite\s+\d|continued|carried\s+forward|brought\s+forward|ubertrag|transport|a\s+reporter|report|suite)"
)


def match_label(
    text: str, patterns: list[tuple[re.Pattern[str], float]]
) -> tuple[float, int] | None:
    """The best (weight, end offset) of ``patterns`` matching at the start of ``text``."""
    best: tuple[float, int] | None = None
    for pattern, weight in patterns:
        m = pattern.match(text)
        if m and (best is None or weight > best[0]):
            best = (weight, m.end())
    return best


def tax_type(word: str) -> str:
    """Contract tax type for a printed tax word."""
    w = word.lower()
    if w in ("cgst", "sgst", "igst", "utgst", "gst"):
        return w.upper()
    if w.startswith("sales"):
        return "SALES_TAX"
    if w == "tax":
        return "TAX"
    return "VAT"
