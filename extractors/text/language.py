"""A cheap language guess: script first, then stopword counts.

``detect_language(text)`` returns an ISO 639-1 code (en, fr, de, es, it, pt,
nl, sv, tr, id, pl by stopwords; fa, ar, ru, uk by script and stopwords; zh,
ja, ko, he, el, hi, th by script alone) or ``None`` when the sample is too
small or nothing stands out. Only the first ``sample`` characters are looked at, so it
is cheap to call on whole documents.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

log = logging.getLogger(__name__)

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and to in is that for it as was with be by on not he this are or his from at which but have an they were had been their has its who will would".split()),
    "fr": frozenset("le la les des du de et est une un que qui dans pour pas sur au aux avec ce cette sont ont il elle ils par plus ne se leur été".split()),
    "de": frozenset("der die das und ist nicht ein eine zu den mit von sich des auf für im dem auch es als wurde werden sind an nach bei aus wie oder".split()),
    "es": frozenset("el la los las de y que en un una por con para es no se del al su lo como más pero sus fue ha son sobre entre".split()),
    "it": frozenset("il la di che e per un una non sono della del con le dei gli nel alla è da si come anche più delle questo".split()),
    "pt": frozenset("o a os as de do da dos das e que em um uma para com não por se na no ao é mais como foi são pelo pela".split()),
    "nl": frozenset("de het een en van is dat op te in zijn voor met niet aan er ook als bij door naar om wordt werd".split()),
    "sv": frozenset("och att det som en på är av för med till den har inte om ett var de jag vi men från".split()),
    "tr": frozenset("ve bir bu da de için ile olarak olan gibi daha çok ama ne en kadar sonra değil".split()),
    "id": frozenset("dan yang di ini itu dengan untuk dari dalam tidak akan pada juga ke adalah".split()),
    "pl": frozenset("i w na z się nie do że to jest o jak po przez od są".split()),
    "fa": frozenset("و در به از که این را با است برای آن یک تا می شد بود شده هم های ای خود نیز اما یا".split()),
    "ar": frozenset("في من على إلى أن التي الذي عن ما هذا هذه مع كان لا قد بين أو ثم كما ذلك وقد".split()),
    "ru": frozenset("и в не на что с по как это он из к для о но от то за его она так же все был".split()),
    "uk": frozenset("і в не на що з по як це він із до для про але від та за його вона так же все був".split()),
}
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
# Letters that only Persian (not Arabic) uses.
_PERSIAN_ONLY = set("پچژگکی")
_ARABIC_ONLY = set("ةيكىأإ")
# Scripts that name their language by themselves: (first, last code point, script name, ISO 639-1).
_OWN_SCRIPTS = (
    (0x4E00, 0x9FFF, "han", "zh"),
    (0x3040, 0x30FF, "kana", "ja"),
    (0xAC00, 0xD7AF, "hangul", "ko"),
    (0x0590, 0x05FF, "hebrew", "he"),
    (0x0370, 0x03FF, "greek", "el"),
    (0x0900, 0x097F, "devanagari", "hi"),
    (0x0E00, 0x0E7F, "thai", "th"),
)
_SCRIPT_LANGUAGE = {name: code for _, _, name, code in _OWN_SCRIPTS}


def _script_of(ch: str) -> str | None:
    """The script a character counts for (``None``: not counted)."""
    o = ord(ch)
    if 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFEFF:
        return "arabic"
    if 0x0400 <= o <= 0x04FF:
        return "cyrillic"
    if not ch.isalpha():
        return None
    if o < 0x0250:
        return "latin"
    return next((name for lo, hi, name, _ in _OWN_SCRIPTS if lo <= o <= hi), "other")


def _script_counts(text: str) -> Counter[str]:
    """Characters of ``text`` per script (:func:`_script_of`), scripts in order of first appearance.

    Each distinct character is classified once: ``Counter(text)`` counts them
    in C, where a loop over every character cost a millisecond a document.
    """
    counts: Counter[str] = Counter()
    for ch, n in Counter(text).items():
        script = _script_of(ch)
        if script is not None:
            counts[script] += n
    return counts


def _languages_of_stopwords() -> dict[str, tuple[str, ...]]:
    """Each stopword -> the languages whose stopword it is (in ``_STOPWORDS``' order)."""
    index: dict[str, tuple[str, ...]] = {}
    for lang, words in _STOPWORDS.items():
        for word in words:
            index[word] = index.get(word, ()) + (lang,)
    return index


_LANGUAGES_OF = _languages_of_stopwords()


def _stopword_scores(words: list[str], candidates: tuple[str, ...]) -> dict[str, int]:
    """How many of ``words`` are stopwords of each candidate language (in the candidates' order): each
    distinct word looked up once, not every word in every language's list."""
    scores = dict.fromkeys(candidates, 0)
    for word, n in Counter(words).items():
        for lang in _LANGUAGES_OF.get(word, ()):
            if lang in scores:
                scores[lang] += n
    return scores


def detect_language(text: str, sample: int = 20000) -> str | None:
    """ISO 639-1 code of the dominant language of ``text``, or ``None``."""
    if not text:
        return None
    text = text[:sample]
    scripts = _script_counts(text)
    total = sum(scripts.values())
    if total < 20:
        return None
    script, count = scripts.most_common(1)[0]
    if script == "other":
        return None
    if script in ("han", "kana"):
        return "ja" if scripts["kana"] else "zh"  # Japanese mixes kana into Han text
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    words = [w.lower() for w in _WORD_RE.findall(text)]
    if script == "arabic":
        letters = [ch for ch in text if "\u0600" <= ch <= "\u06ff"]
        persian = sum(1 for ch in letters if ch in _PERSIAN_ONLY)
        arabic = sum(1 for ch in letters if ch in _ARABIC_ONLY)
        fa_words = sum(1 for w in words if w in _STOPWORDS["fa"])
        ar_words = sum(1 for w in words if w in _STOPWORDS["ar"])
        return "fa" if persian + 3 * fa_words >= arabic + 3 * ar_words else "ar"
    candidates = ("ru", "uk") if script == "cyrillic" else ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "tr", "id", "pl")
    scores = _stopword_scores(words, candidates)
    if script == "cyrillic":
        # Ukrainian letters decide between the two Cyrillic languages.
        if re.search(r"[іїєґ]", text.lower()) and scores["uk"] >= scores["ru"] * 0.5:
            return "uk"
        return "ru"
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < 3 or scores[best] < 0.05 * len(words):
        return None
    return best


def guess_language(text: str) -> str | None:
    """:func:`detect_language` for extractors: a guess never fails an extraction."""
    try:
        return detect_language(text)
    except Exception:  # noqa: BLE001 - a wrong guess is better than a failed document
        log.debug("language guess failed", exc_info=True)
        return None
