//! Every visible string of the viewer in English and German, in one table a reviewer can read top to bottom.
//! Keys are plain strings; section headings use the section id as key. `term` translates enumerated values
//! from the document (category, status, life-cycle stage, ...) and falls back to the value itself.

use super::Lang;

/// (key, English, German)
#[rustfmt::skip]
static TEXTS: &[(&str, &str, &str)] = &[
    // Shell
    ("site", "Digital Battery Passport", "Digitaler Batteriepass"),
    ("skip", "Skip to content", "Zum Inhalt springen"),
    ("language", "Language", "Sprache"),
    ("footer", "Battery passport under Regulation (EU) 2023/1542 (Art. 77).", "Batteriepass nach Verordnung (EU) 2023/1542 (Art. 77)."),
    ("contents", "Contents", "Inhalt"),
    ("passport", "Battery passport", "Batteriepass"),
    ("successor", "This passport has a successor:", "Dieser Batteriepass hat einen Nachfolger:"),
    ("view.public", "Public view.", "Öffentliche Ansicht."),
    ("view.public.note", "Shows the information available to everyone.", "Zeigt die für alle zugänglichen Angaben."),
    ("view.li", "Legitimate interest view.", "Ansicht bei berechtigtem Interesse."),
    ("view.li.note", "Includes dismantling, composition and state-of-health data.", "Mit Angaben zu Demontage, Zusammensetzung und Alterungszustand."),
    ("view.authority", "Authority view.", "Behördenansicht."),
    ("view.authority.note", "Includes dismantling, composition and test reports.", "Mit Angaben zu Demontage, Zusammensetzung und Prüfberichten."),
    ("view.operator", "Operator view.", "Ansicht des Wirtschaftsakteurs."),
    ("view.operator.note", "Shows all data of this passport.", "Zeigt alle Daten dieses Batteriepasses."),
    ("sign_in", "Sign in to see restricted information", "Anmelden, um eingeschränkte Angaben zu sehen"),
    ("signed_in_as", "Signed in as", "Angemeldet als"),
    ("sign_out", "Sign out", "Abmelden"),
    // Section headings (keys = section ids)
    ("identity", "Identity", "Identifikation"),
    ("carbon-footprint", "Carbon footprint", "CO₂-Fußabdruck"),
    ("recycled-content", "Recycled content", "Rezyklatanteil"),
    ("materials", "Materials and substances", "Materialien und Stoffe"),
    ("performance", "Performance and durability", "Leistung und Haltbarkeit"),
    ("end-of-life", "End of life and collection", "Entsorgung und Rücknahme"),
    ("labels", "Labels and conformity", "Kennzeichnung und Konformität"),
    ("dismantling", "Dismantling and safety", "Demontage und Sicherheit"),
    ("composition", "Detailed composition", "Detaillierte Zusammensetzung"),
    ("state-of-health", "State of health and use", "Alterungszustand und Nutzung"),
    ("test-reports", "Test reports", "Prüfberichte"),
    ("history", "Version history", "Versionsverlauf"),
    ("origin", "Where the values come from", "Herkunft der Werte"),
    ("predictions", "Predictions", "Vorhersagen"),
    ("predictions.note", "Estimated by models from this battery's data, with their uncertainty; suggestions, not declared values.", "Von Modellen aus den Daten dieser Batterie geschätzt, mit ihrer Unsicherheit; Vorschläge, keine erklärten Werte."),
    ("predictions.cycle_life", "Predicted cycle life", "Vorhergesagte Zyklenlebensdauer"),
    ("predictions.cycles", "cycles", "Zyklen"),
    ("predictions.soh", "Estimated state of health", "Geschätzter Alterungszustand"),
    ("predictions.rul", "Remaining useful life", "Restnutzungsdauer"),
    ("predictions.model", "Model", "Modell"),
    ("origin.note", "Composition, recycled content and carbon footprint are rolled up by mass balance from the material lots in this battery's pack.", "Zusammensetzung, Rezyklatanteil und CO₂-Fußabdruck sind per Massenbilanz aus den Materialchargen im Batteriepaket berechnet."),
    ("origin.caption", "Material lots in the pack", "Materialchargen im Paket"),
    ("origin.lot", "Lot", "Charge"),
    ("origin.supplier", "Supplier", "Lieferant"),
    ("origin.mass", "Mass in the pack", "Masse im Paket"),
    ("origin.share", "Share of the lot", "Anteil der Charge"),
    ("origin.production", "Plant energy per kWh produced", "Werksenergie je erzeugte kWh"),
    ("origin.plant", "Plant emission factor", "Emissionsfaktor des Werks"),
    ("origin.distribution", "Distribution emissions", "Emissionen des Vertriebs"),
    ("origin.end_of_life", "End-of-life emissions", "Emissionen am Lebensende"),
    ("origin.without_pcf", "Lots without a product carbon footprint", "Chargen ohne CO₂-Fußabdruck des Produkts"),
    ("origin.genealogy", "The pack's genealogy", "Genealogie des Pakets"),
    // Identity
    ("product_id", "Product identifier", "Produktkennung"),
    ("battery_id", "Battery identifier", "Batteriekennung"),
    ("model", "Model", "Modell"),
    ("category", "Battery category", "Batteriekategorie"),
    ("chemistry", "Chemistry", "Chemie"),
    ("status", "Status", "Status"),
    ("manufacturer", "Manufacturer", "Hersteller"),
    ("operator", "Economic operator", "Wirtschaftsakteur"),
    ("manufacturing_place", "Place of manufacture", "Herstellungsort"),
    ("manufacturing_date", "Date of manufacture", "Herstellungsdatum"),
    ("in_service", "Put into service", "Inbetriebnahme"),
    ("warranty", "Warranty period", "Garantiezeit"),
    ("mass", "Mass", "Masse"),
    ("rated_capacity", "Rated capacity", "Nennkapazität"),
    ("rated_energy", "Rated energy", "Nennenergie"),
    ("nominal_voltage", "Nominal voltage", "Nennspannung"),
    ("minimum_voltage", "Minimum voltage", "Mindestspannung"),
    ("maximum_voltage", "Maximum voltage", "Höchstspannung"),
    ("predecessors", "Predecessor passports", "Vorgänger-Batteriepässe"),
    ("passport_id", "Passport identifier", "Batteriepass-Kennung"),
    ("version", "Version", "Version"),
    ("qr.alt", "QR code linking to this battery passport", "QR-Code mit dem Link zu diesem Batteriepass"),
    ("qr.caption", "QR code of this passport", "QR-Code dieses Batteriepasses"),
    ("cat.ev", "Electric vehicle battery", "Traktionsbatterie für Elektrofahrzeuge"),
    ("cat.lmt", "Light means of transport battery", "Batterie für leichte Verkehrsmittel"),
    ("cat.industrial", "Industrial battery", "Industriebatterie"),
    ("cat.stationary", "Stationary energy storage battery", "Stationäre Batterie-Energiespeicher"),
    ("status.Original", "Original", "Original"),
    ("status.Repurposed", "Repurposed", "Umgenutzt"),
    ("status.Reused", "Reused", "Wiederverwendet"),
    ("status.Remanufactured", "Remanufactured", "Wiederaufbereitet"),
    ("status.Waste", "Waste", "Abfall"),
    // Carbon footprint
    ("cf.total", "Carbon footprint per kWh", "CO₂-Fußabdruck je kWh"),
    ("cf.absolute", "Carbon footprint of the battery", "CO₂-Fußabdruck der Batterie"),
    ("cf.class", "Performance class", "Leistungsklasse"),
    ("cf.study", "Carbon footprint study", "Studie zum CO₂-Fußabdruck"),
    ("cf.chart", "Share per life-cycle stage", "Anteil je Lebenszyklusphase"),
    ("cf.chart.desc", "Horizontal bars: the share of each life-cycle stage in the battery's carbon footprint, in percent.", "Waagerechte Balken: Anteil jeder Lebenszyklusphase am CO₂-Fußabdruck der Batterie in Prozent."),
    ("cf.stage", "Life-cycle stage", "Lebenszyklusphase"),
    ("share", "Share", "Anteil"),
    ("stage.RawMaterialExtraction", "Raw material extraction and pre-processing", "Rohstoffgewinnung und Vorverarbeitung"),
    ("stage.MainProduction", "Main product production", "Herstellung des Hauptprodukts"),
    ("stage.Distribution", "Distribution", "Vertrieb"),
    ("stage.Recycling", "End of life and recycling", "Lebensende und Recycling"),
    // Recycled content
    ("rc.chart", "Recycled content and minimum shares", "Rezyklatanteil und Mindestanteile"),
    ("rc.chart.desc", "Horizontal bars: the recycled share of each material in percent; a solid line marks the minimum share from 2031, a dashed line the minimum share from 2036.", "Waagerechte Balken: Rezyklatanteil je Material in Prozent; eine durchgezogene Linie markiert den Mindestanteil ab 2031, eine gestrichelte den ab 2036."),
    ("rc.material", "Material", "Material"),
    ("rc.pre", "Pre-consumer", "Pre-Consumer"),
    ("rc.post", "Post-consumer", "Post-Consumer"),
    ("rc.total", "Total", "Gesamt"),
    ("rc.target2031", "Minimum from 2031", "Mindestanteil ab 2031"),
    ("rc.target2036", "Minimum from 2036", "Mindestanteil ab 2036"),
    ("rc.legal", "Minimum shares: Regulation (EU) 2023/1542, Art. 8(2) from 18 August 2031 and Art. 8(3) from 18 August 2036.", "Mindestanteile: Verordnung (EU) 2023/1542, Art. 8 Abs. 2 ab 18. August 2031 und Art. 8 Abs. 3 ab 18. August 2036."),
    ("rc.renewable", "Renewable content", "Anteil erneuerbarer Materialien"),
    ("rc.year", "Reporting year", "Berichtsjahr"),
    ("rc.plant", "Manufacturing plant", "Herstellungswerk"),
    ("mat.Cobalt", "Cobalt", "Kobalt"),
    ("mat.Lithium", "Lithium", "Lithium"),
    ("mat.Nickel", "Nickel", "Nickel"),
    ("mat.Lead", "Lead", "Blei"),
    // Materials
    ("hazardous", "Hazardous substances", "Gefährliche Stoffe"),
    ("cas", "CAS number", "CAS-Nummer"),
    ("hazard_class", "Hazard class", "Gefahrenklasse"),
    ("concentration", "Concentration", "Konzentration"),
    ("location", "Location", "Ort in der Batterie"),
    ("impact", "Impact", "Auswirkungen"),
    ("hclass.AcuteToxicity", "Acute toxicity", "Akute Toxizität"),
    ("hclass.SkinCorrosionOrIrritation", "Skin corrosion or irritation", "Ätz-/Reizwirkung auf die Haut"),
    ("hclass.EyeDamageOrIrritation", "Serious eye damage or irritation", "Schwere Augenschädigung/-reizung"),
    ("critical", "Critical raw materials", "Kritische Rohstoffe"),
    ("critical.short", "Critical raw material", "Kritischer Rohstoff"),
    ("scd", "Supply chain due diligence", "Sorgfaltspflichten in der Lieferkette"),
    ("scd.report", "Due diligence report", "Bericht zur Sorgfaltspflicht"),
    ("scd.assurance", "Third-party assurance", "Bestätigung durch Dritte"),
    ("scd.indices", "Supply chain index", "Lieferkettenindex"),
    // Performance
    ("max_power", "Maximum permitted power", "Maximal zulässige Leistung"),
    ("original_power", "Original power capability", "Ursprüngliche Leistungsfähigkeit"),
    ("at", "at", "bei"),
    ("soc.words", "state of charge", "Ladezustand"),
    ("power_ratio", "Power to energy ratio", "Verhältnis Leistung zu Energie"),
    ("c_rate", "C-rate", "C-Rate"),
    ("rte", "Round-trip efficiency", "Energieeffizienz (Lade-Entlade-Zyklus)"),
    ("rte50", "Round-trip efficiency at 50 % of cycle life", "Energieeffizienz bei 50 % der Zyklenlebensdauer"),
    ("rte_fade", "Round-trip efficiency fade", "Abnahme der Energieeffizienz"),
    ("power_fade", "Power fade", "Leistungsabnahme"),
    ("cycles_expected", "Expected lifetime (cycles)", "Erwartete Lebensdauer (Zyklen)"),
    ("cycles", "cycles", "Zyklen"),
    ("lifetime", "Expected lifetime (years)", "Erwartete Lebensdauer (Jahre)"),
    ("years", "years", "Jahre"),
    ("c_rate_test", "C-rate of the cycle-life test", "C-Rate der Zyklenlebensdauerprüfung"),
    ("reference_test", "Cycle-life reference test", "Referenzprüfung der Zyklenlebensdauer"),
    ("exhaustion", "Capacity threshold for exhaustion", "Kapazitätsschwelle für Erschöpfung"),
    ("resistance", "Initial internal resistance", "Anfänglicher Innenwiderstand"),
    ("idle_temp", "Temperature range when idle", "Temperaturbereich im Ruhezustand"),
    ("to", "to", "bis"),
    ("self_discharge", "Initial self-discharge rate", "Anfängliche Selbstentladungsrate"),
    ("per_month", "per month", "pro Monat"),
    ("comp.pack", "Pack", "Batteriepaket"),
    ("comp.module", "Module", "Modul"),
    ("comp.cell", "Cell", "Zelle"),
    // End of life, labels
    ("eol.lead", "Do not dispose of batteries with household waste. How you can help:", "Batterien gehören nicht in den Hausmüll. So können Sie helfen:"),
    ("eol.prevention", "Waste prevention", "Abfallvermeidung"),
    ("eol.separate", "Separate collection", "Getrennte Sammlung"),
    ("eol.collection", "Collection, second life and treatment", "Rücknahme, Zweitnutzung und Behandlung"),
    ("extinguishing", "Extinguishing agent", "Löschmittel"),
    ("doc", "EU declaration of conformity", "EU-Konformitätserklärung"),
    ("doc_id", "Declaration of conformity number", "Nummer der Konformitätserklärung"),
    ("label.symbol", "Symbol", "Symbol"),
    ("label.SeparateCollection", "Separate collection", "Getrennte Sammlung"),
    ("label.HazardousMaterial", "Hazardous material", "Gefährliche Stoffe"),
    ("label.CarbonFootPrint", "Carbon footprint", "CO₂-Fußabdruck"),
    ("label.ExtinguishingAgent", "Extinguishing agent", "Löschmittel"),
    // Restricted sections
    ("manuals", "Manuals and drawings", "Anleitungen und Zeichnungen"),
    ("document", "Document", "Dokument"),
    ("doctype.BillOfMaterial", "Bill of materials", "Stückliste"),
    ("doctype.Model3D", "3D model", "3D-Modell"),
    ("doctype.DismantlingManual", "Dismantling manual", "Demontageanleitung"),
    ("doctype.RemovalManual", "Removal manual", "Ausbauanleitung"),
    ("doctype.OtherManual", "Other manual", "Sonstige Anleitung"),
    ("doctype.Drawing", "Drawing", "Zeichnung"),
    ("safety", "Safety instructions", "Sicherheitshinweise"),
    ("waste_safety", "Safety instructions for waste batteries", "Sicherheitshinweise für Altbatterien"),
    ("spare_parts", "Spare parts", "Ersatzteile"),
    ("address", "Address", "Anschrift"),
    ("email", "E-mail", "E-Mail"),
    ("web", "Website", "Website"),
    ("part", "Part", "Teil"),
    ("part_number", "Part number", "Teilenummer"),
    ("composition.caption", "Materials per component", "Materialien je Komponente"),
    ("component", "Component", "Komponente"),
    ("material", "Material", "Material"),
    ("soce", "State of certified energy (SOCE)", "Zustand der zertifizierten Energie (SOCE)"),
    ("soc", "State of charge", "Ladezustand"),
    ("soh.chart", "State of certified energy and state of charge", "Zertifizierte Energie und Ladezustand"),
    ("soh.chart.desc", "Horizontal bars from 0 to 100 percent.", "Waagerechte Balken von 0 bis 100 Prozent."),
    ("remaining_capacity", "Remaining capacity", "Restkapazität"),
    ("capacity_fade", "Capacity fade", "Kapazitätsverlust"),
    ("remaining_energy", "Remaining usable energy", "Verbleibende nutzbare Energie"),
    ("full_cycles", "Full charge-discharge cycles", "Vollständige Lade-Entlade-Zyklen"),
    ("energy_throughput", "Energy throughput", "Energiedurchsatz"),
    ("capacity_throughput", "Capacity throughput", "Kapazitätsdurchsatz"),
    ("remaining_power", "Remaining power capability", "Verbleibende Leistungsfähigkeit"),
    ("remaining_rte", "Remaining round-trip efficiency", "Verbleibende Energieeffizienz"),
    ("self_discharge_now", "Current self-discharge rate", "Aktuelle Selbstentladungsrate"),
    ("self_discharge_evolution", "Increase in self-discharge", "Zunahme der Selbstentladung"),
    ("resistance_now", "Current internal resistance", "Aktueller Innenwiderstand"),
    ("resistance_increase", "Internal resistance increase", "Zunahme des Innenwiderstands"),
    ("temp.high", "Time above the temperature range", "Zeit über dem Temperaturbereich"),
    ("temp.low", "Time below the temperature range", "Zeit unter dem Temperaturbereich"),
    ("temp.high_charging", "Charging time above the temperature range", "Ladezeit über dem Temperaturbereich"),
    ("temp.low_charging", "Charging time below the temperature range", "Ladezeit unter dem Temperaturbereich"),
    ("last_update", "Last updated:", "Zuletzt aktualisiert:"),
    ("events", "Negative events", "Negative Ereignisse"),
    ("soh.curve", "State of health over time", "Alterungszustand im Zeitverlauf"),
    ("soh.curve.desc", "State of certified energy (or 100 % minus capacity fade) from the battery's readings,", "Zustand der zertifizierten Energie (oder 100 % minus Kapazitätsverlust) aus den Messwerten der Batterie,"),
    ("events.none", "No negative events recorded.", "Keine negativen Ereignisse erfasst."),
    ("test_report", "Results of test reports", "Ergebnisse der Prüfberichte"),
    ("history.caption", "Versions of this passport, newest last", "Versionen dieses Batteriepasses, neueste zuletzt"),
    ("history.when", "Recorded", "Erfasst"),
    ("history.who", "By", "Von"),
    ("history.reason", "Reason", "Grund"),
    ("history.hash", "Content hash", "Inhalts-Hash"),
    ("history.shown", "shown", "angezeigt"),
    ("history.signed", "Signed with", "Signiert mit"),
    ("yes", "yes", "ja"),
    ("no", "no", "nein"),
    // Other pages
    ("tomb.title", "This battery has been recycled; its passport has ended", "Diese Batterie wurde recycelt; ihr Batteriepass ist beendet"),
    ("tomb.lead", "The battery no longer exists as such. What remains on record:", "Die Batterie besteht als solche nicht mehr. Erhalten bleiben folgende Angaben:"),
    ("tomb.ceased", "Passport ended", "Batteriepass beendet"),
    ("tomb.reason", "Reason", "Grund"),
    ("nf.title", "Battery passport not found", "Batteriepass nicht gefunden"),
    ("nf.lead", "There is no battery passport with the identifier", "Es gibt keinen Batteriepass mit der Kennung"),
    ("nf.hint", "Check the address, or scan the QR code on the battery again.", "Prüfen Sie die Adresse oder scannen Sie den QR-Code auf der Batterie erneut."),
    ("err.status", "HTTP status", "HTTP-Status"),
    ("login.title", "Sign in", "Anmelden"),
    ("login.lead", "Workshops, recyclers, authorities and economic operators sign in with their access key to see restricted information.", "Werkstätten, Recycler, Behörden und Wirtschaftsakteure melden sich mit ihrem Zugangsschlüssel an, um eingeschränkte Angaben zu sehen."),
    ("login.key", "Access key", "Zugangsschlüssel"),
    ("login.submit", "Sign in", "Anmelden"),
    ("login.back", "Back to the passport without signing in", "Ohne Anmeldung zurück zum Batteriepass"),
];

fn lookup(key: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    TEXTS.iter().find(|(k, _, _)| *k == key)
}

/// The text for `key` in `lang`. A missing key is a bug: it fails debug builds (and so the tests) and shows
/// the key itself in release builds.
pub fn t(lang: Lang, key: &str) -> &str {
    match lookup(key) {
        Some((_, en, de)) => match lang {
            Lang::En => en,
            Lang::De => de,
        },
        None => {
            debug_assert!(false, "viewer text {key:?} is missing");
            key
        }
    }
}

/// An enumerated document value (e.g. `term(lang, "status", "Waste")`) in `lang`; unknown values unchanged.
pub fn term(lang: Lang, kind: &str, value: &str) -> String {
    match lookup(&format!("{kind}.{value}")) {
        Some(_) => t(lang, &format!("{kind}.{value}")).to_string(),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut keys = std::collections::HashSet::new();
        for (key, en, de) in TEXTS {
            assert!(keys.insert(key), "duplicate key {key}");
            assert!(!en.is_empty() && !de.is_empty(), "{key} lacks a translation");
        }
        assert_eq!(term(Lang::De, "status", "Waste"), "Abfall");
        assert_eq!(term(Lang::De, "status", "Unknown<"), "Unknown<");
    }
}
