"""A cheap language guess from stopword counts (ISO 639-1 codes).

Good enough for long prose in the major languages of human-rights reporting;
returns None when the evidence is thin. Scripts without spaces or with their
own alphabet (Arabic, Cyrillic, CJK …) are told apart by character ranges.
"""

from __future__ import annotations

import re
from collections import Counter

_STOPWORDS = {
    "en": "the of and to in is that for it was on with as by at from this be are have has not which an were "
          "their they his her been who but or its also had",
    "fr": "le la les des et est du une un que qui dans pour pas sur au avec par sont ce il elle ont aux été "
          "mais ses leur cette",
    "de": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es wird wurde "
          "sind hat nach bei aus",
    "es": "el la los las de del y que en un una por con para es se no al su lo como más fue han sus",
    "it": "il la le di e che un una per non sono del della con si gli nel alla è da dei anche ha",
    "pt": "o a os as de do da e que em um uma para com não por se dos das foi são mais ao sua",
    "nl": "de het een en van is dat op te in zijn met voor niet er aan ook als bij door werd naar",
    "sv": "och att det som en är av för på med till den har inte om ett var de men",
    "tr": "ve bir bu da de için ile olarak daha çok gibi en ne ama olan",
    "id": "dan yang di ini itu dengan untuk dari dalam tidak akan pada juga ke adalah",
    "pl": "i w na z się nie do że to jest o jak po przez od są",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_SCRIPTS = [
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
]
_WORD_RE = re.compile(r"[^\W\d_]+")


def detect_language(text: str, sample: int = 20_000) -> str | None:
    """The most likely ISO 639-1 code of ``text``, or None when unsure."""
    text = text[:sample]
    letters = sum(1 for c in text if c.isalpha())
    if letters < 20:
        return None
    if any(ord(c) > 0x036F for c in text[:5000]):
        for code, script in _SCRIPTS:
            if len(script.findall(text)) > letters * 0.3:
                if code == "zh" and _SCRIPTS[3][1].search(text):
                    return "ja"
                if code == "ar" and re.search(r"[پچژگ]", text):
                    return "fa"
                return code
    words = Counter(w.lower() for w in _WORD_RE.findall(text))
    total = sum(words.values())
    if total < 5:
        return None
    scores = {lang: sum(words[w] for w in stop) for lang, stop in _WORDS.items()}
    best = max(scores, key=scores.__getitem__)
    if scores[best] < max(2, total * 0.05):
        return None
    return best
