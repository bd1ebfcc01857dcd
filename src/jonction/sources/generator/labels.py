"""French labels as Apogée holds them: accents, apostrophes, the 60/25-character caps, and the
damage single-byte charsets leave behind (`d¿activités`, `Ã©`).

Pure functions and constant vocabularies; the random choices are made by the caller's stream.
"""

from __future__ import annotations

import random
import unicodedata

LIB_MAX = 60  # LIB_ELP, LIB_ETP, LIB_DIP, LIB_LSE
LIC_MAX = 25  # LIC_ELP, LIC_ETP, LIC_DIP, LIC_LSE

# Discipline → subjects taught in it. Apostrophes and accents on purpose; a few subjects are
# longer than 60 characters, so their LIB_ELP is cut and the full title lives in ELP_LIBELLE.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "Mathématiques": (
        "Analyse",
        "Algèbre linéaire",
        "Probabilités",
        "Statistique inférentielle",
        "Topologie",
        "Géométrie affine et euclidienne",
        "Arithmétique",
        "Calcul différentiel",
        "Équations différentielles",
        "Analyse numérique",
        "Théorie de la mesure et de l'intégration",
        "Optimisation",
        "Méthodes mathématiques pour l'ingénieur et applications numériques avancées",
    ),
    "Informatique": (
        "Programmation impérative",
        "Programmation Python",
        "Bases de données",
        "Algorithmique",
        "Systèmes d'exploitation",
        "Réseaux",
        "Génie logiciel",
        "Architecture des ordinateurs",
        "Compilation",
        "Intelligence artificielle",
        "Sécurité informatique",
        "Développement web",
        "Structures de données et complexité des algorithmes : approche expérimentale",
    ),
    "Physique": (
        "Mécanique du point",
        "Électromagnétisme",
        "Optique géométrique",
        "Thermodynamique",
        "Physique quantique",
        "Ondes et vibrations",
        "Physique statistique",
        "Mécanique des fluides",
        "Électronique analogique",
    ),
    "Chimie": (
        "Chimie générale",
        "Chimie organique",
        "Chimie inorganique",
        "Chimie analytique",
        "Spectroscopies",
        "Cinétique chimique",
        "Chimie des matériaux",
        "Électrochimie",
    ),
    "Sciences de la vie": (
        "Biologie cellulaire",
        "Biochimie",
        "Génétique",
        "Physiologie animale",
        "Biologie végétale",
        "Écologie",
        "Microbiologie",
        "Immunologie",
        "Biologie moléculaire",
    ),
    "Lettres modernes": (
        "Littérature française du XIXe siècle",
        "Grammaire et stylistique",
        "Littérature comparée",
        "Histoire de la langue",
        "Poésie contemporaine",
        "Théâtre classique",
        "Analyse du discours",
        "Littérature de jeunesse",
    ),
    "Histoire": (
        "Histoire ancienne",
        "Histoire médiévale",
        "Histoire moderne",
        "Histoire contemporaine",
        "Historiographie",
        "Histoire de l'art",
        "Sources et méthodes de l'historien",
        "Histoire des relations internationales au XXe siècle : guerres et paix",
    ),
    "Géographie": (
        "Géographie physique",
        "Géographie humaine",
        "Cartographie",
        "Aménagement du territoire",
        "Géographie urbaine",
        "Systèmes d'information géographique",
        "Géopolitique",
    ),
    "Psychologie": (
        "Psychologie du développement",
        "Psychologie sociale",
        "Psychologie cognitive",
        "Psychopathologie",
        "Neuropsychologie",
        "Méthodologie de l'entretien",
        "Statistiques pour psychologues",
    ),
    "Sciences de l'éducation": (
        "Sociologie de l'éducation",
        "Histoire des idées pédagogiques",
        "Didactique",
        "Politiques éducatives",
        "Formation des adultes",
    ),
    "Droit": (
        "Droit constitutionnel",
        "Droit civil",
        "Droit des obligations",
        "Droit administratif",
        "Droit pénal",
        "Droit des affaires",
        "Droit de l'Union européenne",
        "Droit du travail",
        "Histoire du droit",
        "Procédure civile",
        "Droit international public",
        "Libertés fondamentales",
        "Droit de l'environnement et du développement durable : enjeux contemporains",
    ),
    "Économie": (
        "Microéconomie",
        "Macroéconomie",
        "Économétrie",
        "Économie internationale",
        "Économie publique",
        "Histoire de la pensée économique",
        "Économie du travail",
        "Introduction à l'économie",
    ),
    "Gestion": (
        "Comptabilité générale",
        "Contrôle de gestion",
        "Marketing",
        "Finance d'entreprise",
        "Gestion des ressources humaines",
        "Management d'activités",
        "Stratégie",
        "Entrepreneuriat",
        "Système d'information de gestion",
    ),
    "STAPS": (
        "Anatomie fonctionnelle",
        "Physiologie de l'effort",
        "Sociologie du sport",
        "Pratiques sportives collectives",
        "Pratiques sportives individuelles",
        "Entraînement sportif",
        "Activités physiques adaptées",
    ),
    "Médecine": (
        "Anatomie",
        "Histologie",
        "Sémiologie",
        "Pharmacologie",
        "Santé publique",
        "Cardiologie",
        "Pneumologie",
        "Neurologie",
        "Pédiatrie",
        "Gynécologie-obstétrique",
        "Urgences",
        "Éthique médicale",
    ),
    "Pharmacie": (
        "Pharmacognosie",
        "Galénique",
        "Toxicologie",
        "Chimie thérapeutique",
        "Pharmacie clinique",
    ),
    "Langues": (
        "Anglais",
        "Espagnol",
        "Allemand",
        "Italien",
        "Chinois",
        "Français langue étrangère",
    ),
    "Langues étrangères appliquées": (
        "Traduction anglais",
        "Traduction espagnol",
        "Civilisation britannique",
        "Civilisation hispanique",
        "Interprétariat",
        "Commerce international",
    ),
    "Génie électrique": (
        "Électrotechnique",
        "Automatismes",
        "Systèmes embarqués",
        "Énergie",
        "Électronique numérique",
    ),
    "Techniques de commercialisation": (
        "Négociation",
        "Marketing digital",
        "Communication commerciale",
        "Droit commercial",
        "Logistique",
    ),
    "Génie civil": (
        "Résistance des matériaux",
        "Topographie",
        "Béton armé",
        "Géotechnique",
        "Dessin technique",
    ),
    "Enseignement": (
        "Didactique des mathématiques",
        "Didactique du français",
        "Gestion de classe",
        "Contexte d'exercice du métier",
        "Stage en établissement",
    ),
    "Soins infirmiers": (
        "Sciences infirmières",
        "Soins d'urgence",
        "Pharmacologie et thérapeutiques",
        "Législation, éthique et déontologie",
        "Soins relationnels",
    ),
    "Management": (
        "Management de projet",
        "Management interculturel",
        "Audit",
        "Gestion de patrimoine",
        "Conduite du changement",
    ),
}

# Cross-cutting subjects any programme may carry.
TRANSVERSAL = (
    "Méthodologie du travail universitaire",
    "Projet personnel et professionnel",
    "Compétences numériques",
    "Expression écrite et orale",
    "Insertion professionnelle",
)

# Prefixes of the official long titles kept in ELP_LIBELLE.
NATURES_LONG = {"UE": "Unité d'enseignement : ", "SEM": "Semestre d'études : "}
LEVEL_WORDS = ("", " 1", " 2", " 3", " approfondie", " avancée")
QUALIFIERS = ("Introduction à la", "Fondements de la", "Initiation à la", "Atelier de")

FIRST_NAMES_F = tuple(
    [
        "Léa",
        "Chloé",
        "Zoé",
        "Emma",
        "Inès",
        "Anaïs",
        "Maëlle",
        "Élodie",
        "Hélène",
        "Cécile",
        "Gaëlle",
        "Manon",
        "Camille",
        "Sarah",
        "Louise",
        "Jade",
        "Clémence",
        "Noémie",
        "Agathe",
        "Océane",
        "Aïcha",
        "Fatoumata",
        "Mélissa",
        "Laëtitia",
        "Bérénice",
        "Marie",
        "Julie",
        "Lucie",
        "Pauline",
        "Sophie",
        "Yasmine",
        "Thi Thu",
        "Ngọc Anh",
        "Oriane",
        "Salomé",
    ]
)
FIRST_NAMES_M = tuple(
    [
        "Noé",
        "Jérôme",
        "Théo",
        "Mathéo",
        "Raphaël",
        "Loïc",
        "Benoît",
        "François",
        "Joël",
        "Clément",
        "Lucas",
        "Hugo",
        "Nathan",
        "Maxime",
        "Antoine",
        "Karim",
        "Mehdi",
        "Youssef",
        "Thomas",
        "Nicolas",
        "Julien",
        "Sébastien",
        "Gaël",
        "Anh",
        "Mamadou",
        "Jean-Baptiste",
        "Paul",
        "Arthur",
        "Enzo",
        "Tristan",
        "Cédric",
        "Hervé",
        "Rémi",
        "Aurélien",
        "Quentin",
    ]
)
SURNAMES = tuple(
    [
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Simon",
        "Laurent",
        "Lefèvre",
        "Michel",
        "García",
        "David",
        "Bertrand",
        "Roux",
        "Vincent",
        "Fournier",
        "Morel",
        "Girard",
        "André",
        "Mercier",
        "Dupont",
        "Lambert",
        "Bonnet",
        "François",
        "Martinez",
        "Legrand",
        "Garnier",
        "Faure",
        "Rousseau",
        "Blanc",
        "Guérin",
        "Müller",
        "Henry",
        "Roussel",
        "Nicolas",
        "Perrin",
        "Morin",
        "Mathieu",
        "Clément",
        "Gauthier",
        "Dumont",
        "Lopez",
        "Fontaine",
        "Chevalier",
        "Robin",
        "Masson",
        "Ben Ali",
        "N'Diaye",
        "O'Connor",
        "Le Gall",
        "Da Silva",
        "Nguyễn",
        "Trần",
        "Benaïssa",
        "Château",
        "Lemaître",
        "Le Goff",
        "Diallo",
        "Kouassi",
        "Boucher",
        "Hoarau",
        "Payet",
        "Cœur",
        "Lefébure",
        "D'Almeida",
        "Saint-Just",
        "Van der Berg",
        "Mbappé",
        "Traoré",
        "Rakotomalala",
    ]
)


def ascii_fold(text: str) -> str:
    """Text without accents or ligatures: `Cœur Léa` → `Coeur Lea` (cn, uid, Apogée names)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def cut(text: str, width: int) -> str:
    """`text` cut to `width` characters, without a trailing space."""
    return text[:width].rstrip()


def short_label(text: str, width: int = LIC_MAX) -> str:
    """A LIC_* short label: words abbreviated until the text fits."""
    if len(text) <= width:
        return text
    words = [word if len(word) <= 5 else word[:4] + "." for word in text.split()]
    return cut(" ".join(words), width)


def at_cap(text: str, filler: str = " et applications") -> str:
    """A label of exactly LIB_MAX characters built from `text` (the at-the-cap cases)."""
    while len(text) < LIB_MAX:
        text += filler
    label = text[:LIB_MAX]
    return label[:-1] + "." if label.endswith(" ") else label


def damage_apostrophe(text: str) -> str:
    """A typographic apostrophe through a single-byte database: `d’activités` → `d¿activités`."""
    return text.replace("'", "¿").replace("’", "¿")


def damage_utf8_as_latin1(text: str) -> str:
    """UTF-8 bytes read as Latin-1: `Électrochimie` → `Ã‰lectrochimie`."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def typographic(text: str) -> str:
    """The same label typed with a typographic apostrophe (some scolarités do, some don't)."""
    return text.replace("'", "’")


def person_names(rng: random.Random) -> tuple[str, str, str]:
    """(civility letter M/F, given name, surname) with French usage spellings."""
    if rng.random() < 0.55:
        return "F", rng.choice(FIRST_NAMES_F), rng.choice(SURNAMES)
    return "M", rng.choice(FIRST_NAMES_M), rng.choice(SURNAMES)


def login_base(given: str, surname: str) -> str:
    """`Léa`, `O'Connor` → `loconnor`: the usual initial + surname login, ASCII, ≤ 10 chars."""
    letters = "".join(ch for ch in ascii_fold(surname).lower() if ch.isalpha())
    initial = ascii_fold(given).lower()[:1]
    return (initial + letters)[:10]


def mail_local(given: str, surname: str) -> str:
    """`Jean-Baptiste`, `Le Gall` → `jean-baptiste.legall`."""
    first = "".join(ch for ch in ascii_fold(given).lower() if ch.isalpha() or ch == "-")
    last = "".join(ch for ch in ascii_fold(surname).lower() if ch.isalpha() or ch == "-")
    return f"{first}.{last}"
