"""Words of the knowledge base: folding, tokens, stopwords, stemming-lite and synonyms.

Both search engines (SQLite FTS5 and PostgreSQL tsvector) index the text this module makes:
the title and body folded by the SDK's `fold_text` (ی/ي, ک/ك, ZWNJ, diacritics, digits), cut
into runs of letters and digits, stopwords dropped and each word cut to a stem. The stems
(title, "_", body) are joined by single spaces, so neither engine's tokenizer has anything left to decide:
FTS5's `unicode61` and PostgreSQL's 'simple' configuration split the same words.
"""

from __future__ import annotations

import re

from payvand.sdk import fold_text

_WORD = re.compile(r"[^\W_]+")

STOPWORDS = frozenset("""
a an and are as at be by can do does for from how i if in is it its me my of on or our so the this to
was we what when where which who why will with you your yours have has had not no i'm am there their
would should could get got any some about into than then them they he she his her us
و در به از که این آن را با برای تا یا هم نیز اما است هست بود شد شود می نمی ها های یک چه چرا چگونه
چطور کجا کی آیا من ما شما او ایشان خود هر اگر بر روی دیگر باید میشه نمیشه ام ای اید اند کنم
کنید کند کنیم کرد کردم کردید کردن شده شدن دارم دارید دارد داشت داره هستم هستید است؟ رو
""".split())

_FA_SUFFIXES = ("هایی", "هایم", "هایت", "هایش", "های", "ها", "ترین", "تر", "مان", "تان", "شان")
_EN_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


def stem(word: str) -> str:
    """A light stem: Persian plural/comparative/possessive endings, English plural and -ing/-ed."""
    if word.isascii():
        if len(word) <= 3 or word.isdigit():
            return word
        for suffix, repl in _EN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
                base = word[: -len(suffix)] + repl
                if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2]:
                    base = base[:-1]  # shipped -> ship, stopping -> stop
                return base
        return word
    for suffix in _FA_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


def terms(text: str | None) -> list[str]:
    """The stems of `text` in order, stopwords dropped."""
    return [stem(w) for w in _WORD.findall(fold_text(text or "") or "") if w not in STOPWORDS]


def index_text(title: str, body: str) -> str:
    """What the engines index for an article: the stems of its title, " _ ", the stems of its body.

    Both engines' tokenizers drop the "_" (punctuation to FTS5's unicode61 and PostgreSQL's
    parser); the ranking uses it to tell title words from body words without re-reading the title.
    """
    return " ".join([*terms(title), "_", *terms(body)])


# Each group holds words that answer the same question; a query word brings the others in at a lower weight.
_SYNONYM_GROUPS = [
    "return refund money back exchange send back",
    "ship shipping delivery deliver post courier parcel package arrive",
    "pay payment card charge bank gateway transaction debit",
    "invoice receipt bill",
    "warranty guarantee repair broken defective faulty damaged",
    "password login sign log account",
    "cancel cancellation",
    "track tracking where status",
    "price cost fee",
    "address location",
    "مرجوع برگشت بازگشت پس عودت استرداد",
    "ارسال تحویل پست پیک مرسوله بسته رسیدن نرسیده",
    "پرداخت کارت درگاه بانک تراکنش کسر",
    "فاکتور صورتحساب رسید",
    "گارانتی ضمانت تعمیر خراب معیوب خرابی سالم",
    "رمز گذرواژه ورود حساب",
    "لغو کنسل انصراف",
    "پیگیری رهگیری کد وضعیت",
    "قیمت هزینه مبلغ",
    "پول وجه مبلغ",
    "نشانی آدرس",
    "کالا جنس محصول",
    "item product goods thing",
    "تخفیف کد کوپن",
]


def _build_synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for line in _SYNONYM_GROUPS:
        stems = {stem(w) for w in fold_text(line).split() if w not in STOPWORDS}
        for word in stems:
            table.setdefault(word, set()).update(stems - {word})
    return {word: tuple(sorted(others)) for word, others in table.items()}


SYNONYMS = _build_synonyms()


def query_groups(query: str, limit: int = 8) -> list[tuple[str, tuple[str, ...]]]:
    """The query's distinct stems (at most `limit`), each with its synonyms."""
    seen: list[str] = []
    for word in terms(query):
        if word not in seen:
            seen.append(word)
    return [(word, SYNONYMS.get(word, ())) for word in seen[:limit]]
