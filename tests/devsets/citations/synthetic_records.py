"""Synthetic bibliographic records (CSL-JSON) for training the citation tagger.

Varied on purpose: people with one or two given names (printed as initials by
many styles), one to five authors, corporate and UN authors, titles in
English, French, Spanish, Portuguese and transliterated Persian, journals,
books, chapters, reports with UN symbols or NGO index numbers, newspaper and
web pages with access dates, court cases. Issued and accessed dates never
share a day, month or year (the build script finds dates by value).
"""

from __future__ import annotations

import random

FAMILIES = (
    "Durik Harackiewicz Ricoeur Andersson Blue Smith Johnson Williams Brown Garcia Martínez Rodríguez López "
    "Fernández González Silva Santos Oliveira Pereira Costa Dubois Lefèvre Moreau Laurent Girard Bernard "
    "Mohammadi Hosseini Abrahamian Rahnema Tabari Kazemi Ahmadi Rezaei Karimi Moradi Sadeghi Jafari Mortimer "
    "Müller Schmidt O'Connor McDonald Nguyen Kim Chen Wang Okafor Mensah Cohen Levi Rossi Bianchi Novak "
    "Kowalski Ivanova Petrov Haddad Khalil Yilmaz Sánchez Ramírez Torres Díaz Vargas Castro Ortega "
    "Alston Shaheed Rehman Boroumand Afshari Tahmasebi Nazari Esfandiari Farhadi Van-der-Berg De-Souza"
).split()
GIVENS = (
    "Amanda Judith Paul Lars Pieter John Mary Robert Linda Maria José Ana Carlos Luis Sofia Pierre Marie "
    "Jean Claire Ervand Majid Shirin Reza Ladan Nasrin Ahmad Fatemeh Edward Hans Anna Wei Min Chinedu "
    "Kwame David Sarah Giulia Tomasz Olga Nadia Omar Leila Ayşe Javier Lucía Beatriz João Roya Payam Philip"
).split()
MIDDLE = "M. J. A. R. K. L. E. S. T. H.".split()
CORPORATE = (
    "Amnesty International", "Human Rights Watch", "United Nations Human Rights Council",
    "Office of the United Nations High Commissioner for Human Rights", "UN General Assembly",
    "Special Rapporteur on the situation of human rights in the Islamic Republic of Iran",
    "Inter-American Commission on Human Rights", "Comisión Interamericana de Derechos Humanos",
    "Corte Interamericana de Derechos Humanos", "International Federation for Human Rights",
    "Justice for Iran", "Iran Human Rights Documentation Center", "World Health Organization",
    "Ministério da Justiça", "Conselho Nacional de Justiça", "Cour européenne des droits de l'homme",
    "International Commission of Jurists", "Abdorrahman Boroumand Center", "REDRESS", "Freedom House",
    "Committee against Torture", "Human Rights Committee", "European Parliament",
)
WORDS = {
    "en": ("human rights executions prisoners memory justice truth accountability law state violence "
           "massacre transitional evidence archive testimony international criminal political history "
           "energy bound wave equation uniform different strokes folks motivation interest learning "
           "courts torture detention families victims reparations policy revolution women minorities").split(),
    "fr": ("temps récit mémoire justice droits homme prison histoire violence politique vérité "
           "témoignage archives état répression exil révolution femmes").split(),
    "es": ("derechos humanos memoria verdad justicia desaparición forzada víctimas violencia estado "
           "historia reparación tortura cárcel política mujeres tribunal").split(),
    "pt": ("direitos humanos memória verdade justiça ditadura vítimas violência estado história "
           "reparação tortura prisão política mulheres tribunal comissão").split(),
    "fa": ("khāterāt zendān tārikh moʿāṣer Irān enqelāb eʿdām-hā dahe-ye shast qatl-e ʿām "
           "zanān jonbesh siyāsi farhang adabiyāt-e").split(),
}
GLUE = {"en": ("of", "and", "in", "the", "for", "on"), "fr": ("et", "de", "la", "le", "des", "du"),
        "es": ("y", "de", "la", "el", "en", "los"), "pt": ("e", "de", "da", "do", "na", "os"),
        "fa": ("va", "dar", "-e", "az")}
JOURNALS = (
    "Human Rights Quarterly", "Journal of Educational Psychology", "Iranian Studies", "Harvard Law Review",
    "Yale Journal of International Law", "Revista de Derecho Público", "Revue française de science politique",
    "Revista Brasileira de Direitos Humanos", "Journal of Hyperbolic Differential Equations",
    "International Journal of Transitional Justice", "Law and History Review", "Middle East Report",
    "Nordic Journal of Human Rights", "Annales. Histoire, Sciences Sociales", "Cuadernos de Historia",
    "Netherlands Quarterly of Human Rights", "American Journal of International Law", "Iran Nameh",
)
NEWSPAPERS = ("The Guardian", "The New York Times", "Le Monde", "El País", "Folha de S.Paulo",
              "BBC News", "Financial Times", "IranWire", "Radio Farda", "Reuters")
PUBLISHERS = (
    ("Oxford University Press", "Oxford"), ("Cambridge University Press", "Cambridge"),
    ("Éditions du Seuil", "Paris"), ("Gallimard", "Paris"), ("Editorial Trotta", "Madrid"),
    ("Routledge", "London"), ("I.B. Tauris", "London"), ("Companhia das Letras", "São Paulo"),
    ("Fondo de Cultura Económica", "México"), ("Springer", "Berlin"), ("Hart Publishing", "Oxford"),
    ("University of California Press", "Berkeley"), ("Nashr-e Ney", "Tehran"), ("Zed Books", "London"),
    ("Editora Fiocruz", "Rio de Janeiro"), ("Presses Universitaires de France", "Paris"),
    ("Amnesty International", "London"), ("Human Rights Watch", "New York"), ("United Nations", "Geneva"),
)
UN_BODIES = ("A/HRC", "A", "E/CN.4", "CCPR/C", "A/HRC/RES", "CAT/C")
NGO_SERIES = ("MDE", "AMR", "ACT", "EUR", "AFR", "ASA")
COURTS = ("EWCA Civ", "UKSC", "ECHR", "I.C.J.", "F.3d", "U.S.")


def _title(rng: random.Random) -> str:
    lang = rng.choice(("en", "en", "en", "fr", "es", "pt", "fa"))
    words = [rng.choice(WORDS[lang]) for _ in range(rng.randint(2, 9))]
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randint(1, len(words)), rng.choice(GLUE[lang]))
    title = " ".join(words)
    if rng.random() < 0.3:
        title += ": " + " ".join(rng.choice(WORDS[lang]) for _ in range(rng.randint(2, 5)))
    if rng.random() < 0.1:
        title += f" ({rng.randint(1960, 2020)}–{rng.randint(2021, 2024)})"
    return title[0].upper() + title[1:] if rng.random() < 0.8 else title


def _person(rng: random.Random) -> dict:
    given = rng.choice(GIVENS)
    if rng.random() < 0.4:
        given += " " + (rng.choice(MIDDLE) if rng.random() < 0.6 else rng.choice(GIVENS))
    family = rng.choice(FAMILIES).replace("-", " " if rng.random() < 0.5 else "-")
    return {"family": family, "given": given}


def _authors(rng: random.Random) -> list[dict]:
    if rng.random() < 0.22:
        return [{"literal": rng.choice(CORPORATE)}]
    n = rng.choices((1, 2, 3, 4, 6), (40, 30, 15, 8, 7))[0]
    return [_person(rng) for _ in range(n)]


def _dates(rng: random.Random, with_access: bool) -> dict:
    year = rng.randint(1975, 2022)
    issued = [year]
    r = rng.random()
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if r < 0.5:
        issued += [month]
        if r < 0.3:
            issued += [day]
    out = {"issued": {"date-parts": [issued]}}
    if with_access:
        a_month = (month % 12) + 1
        a_day = day + 1 if day < 28 else 1
        out["accessed"] = {"date-parts": [[rng.randint(year + 1, 2025), a_month, a_day]]}
    return out


def _url(rng: random.Random) -> str:
    host = rng.choice(("www.amnesty.org", "www.hrw.org", "undocs.org", "www.ohchr.org", "iranhrdc.org",
                       "www.theguardian.com", "elpais.com", "example.org", "journals.sagepub.com"))
    path = "/".join(rng.choice(WORDS["en"]) for _ in range(rng.randint(1, 4)))
    return f"https://{host}/{path}/{rng.randint(1, 99999)}"


def make_record(rng: random.Random, rid: str) -> dict:
    """One random CSL-JSON record with id ``rid``."""
    kind = rng.choices(("article-journal", "book", "chapter", "report", "webpage", "article-newspaper",
                        "legal_case", "thesis"), (28, 18, 10, 16, 10, 8, 5, 5))[0]
    rec: dict = {"id": rid, "type": kind, "title": _title(rng)}
    web = kind in ("webpage", "article-newspaper") or rng.random() < 0.25
    rec.update(_dates(rng, with_access=web and rng.random() < 0.8))
    if kind != "legal_case":
        rec["author"] = _authors(rng)
    if web:
        rec["URL"] = _url(rng)
    if kind == "article-journal":
        rec["container-title"] = rng.choice(JOURNALS)
        rec["volume"] = str(rng.randint(1, 140))
        if rng.random() < 0.7:
            rec["issue"] = str(rng.randint(1, 12))
        first = rng.randint(1, 900)
        rec["page"] = f"{first}-{first + rng.randint(5, 60)}"
        if rng.random() < 0.4:
            rec["DOI"] = f"10.{rng.randint(1000, 9999)}/{rng.choice(('jhr', 'hrq', 'ijtj'))}.{rng.randint(2000, 2022)}.{rng.randint(1, 999)}"
    elif kind in ("book", "chapter", "thesis"):
        publisher, place = rng.choice(PUBLISHERS)
        if kind == "thesis":
            publisher, place = rng.choice((("Université Paris 1 Panthéon-Sorbonne", "Paris"),
                                            ("Universidade de São Paulo", "São Paulo"),
                                            ("University of Oxford", "Oxford")))
        rec["publisher"] = publisher
        if rng.random() < 0.8:
            rec["publisher-place"] = place
        if kind == "chapter":
            rec["container-title"] = _title(rng)
            first = rng.randint(1, 400)
            rec["page"] = f"{first}-{first + rng.randint(5, 40)}"
    elif kind == "report":
        if rng.random() < 0.5:
            rec["number"] = f"{rng.choice(UN_BODIES)}/{rng.randint(30, 55)}/{rng.randint(1, 80)}"
            rec["author"] = [{"literal": rng.choice(CORPORATE[2:6])}]
            rec["publisher"] = "United Nations"
        else:
            rec["number"] = f"{rng.choice(NGO_SERIES)} {rng.randint(10, 60)}/{rng.randint(1000, 9999)}/{rng.randint(2000, 2024)}"
            org = rng.choice(("Amnesty International", "Human Rights Watch", "FIDH"))
            rec["author"] = [{"literal": org}]
            rec["publisher"] = org
        if rng.random() < 0.5:
            rec["publisher-place"] = rng.choice(("London", "Geneva", "New York", "Paris"))
    elif kind in ("webpage", "article-newspaper"):
        rec["container-title"] = rng.choice(NEWSPAPERS)
    elif kind == "legal_case":
        rec["title"] = f"{rng.choice(FAMILIES)} v. {rng.choice(FAMILIES + ['United Kingdom', 'Iran', 'Brazil', 'Attorney General'])}"
        rec["container-title"] = rng.choice(COURTS)
        rec["volume"] = str(rng.randint(1, 600))
        rec["page"] = str(rng.randint(1, 999))
        rec["authority"] = rng.choice(("European Court of Human Rights", "Court of Appeal", "Supreme Court"))
    return rec
