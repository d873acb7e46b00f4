"""The words demo data is made of: names, places, products and interaction templates.

Persian entries carry their Latin transliteration, used for email addresses and for
customers who typed their name in Latin script.
"""

from __future__ import annotations

#: Persian given names: (Persian, Latin).
GIVEN_NAMES_FA: tuple[tuple[str, str], ...] = (
    ("علی", "Ali"), ("محمد", "Mohammad"), ("حسین", "Hossein"), ("رضا", "Reza"), ("مهدی", "Mahdi"),
    ("امیر", "Amir"), ("سعید", "Saeed"), ("حمید", "Hamid"), ("مجید", "Majid"), ("جواد", "Javad"),
    ("کامران", "Kamran"), ("بهرام", "Bahram"), ("فرهاد", "Farhad"), ("داریوش", "Dariush"),
    ("کوروش", "Kourosh"), ("آرش", "Arash"), ("بابک", "Babak"), ("پویا", "Pouya"), ("سینا", "Sina"),
    ("میلاد", "Milad"), ("نیما", "Nima"), ("امید", "Omid"), ("پیمان", "Peyman"), ("هومن", "Hooman"),
    ("محمدرضا", "Mohammadreza"), ("امیرحسین", "Amirhossein"),
    ("فاطمه", "Fatemeh"), ("زهرا", "Zahra"), ("مریم", "Maryam"), ("سارا", "Sara"), ("نرگس", "Narges"),
    ("لیلا", "Leila"), ("مینا", "Mina"), ("شیرین", "Shirin"), ("نازنین", "Nazanin"), ("الهام", "Elham"),
    ("ساناز", "Sanaz"), ("پریسا", "Parisa"), ("نیلوفر", "Niloufar"), ("آزاده", "Azadeh"),
    ("مهسا", "Mahsa"), ("رویا", "Roya"), ("سمیرا", "Samira"), ("ترانه", "Taraneh"), ("یاسمن", "Yasaman"),
    ("شقایق", "Shaghayegh"), ("هانیه", "Hanieh"), ("کیمیا", "Kimia"), ("ستاره", "Setareh"),
    ("فرشته", "Fereshteh"),
)

#: Persian family names: (Persian, Latin); some with a ZWNJ, as people write them.
FAMILY_NAMES_FA: tuple[tuple[str, str], ...] = (
    ("رضایی", "Rezaei"), ("محمدی", "Mohammadi"), ("حسینی", "Hosseini"), ("احمدی", "Ahmadi"),
    ("کریمی", "Karimi"), ("موسوی", "Mousavi"), ("جعفری", "Jafari"), ("صادقی", "Sadeghi"),
    ("رحیمی", "Rahimi"), ("کاظمی", "Kazemi"), ("قاسمی", "Ghasemi"), ("نوری", "Nouri"),
    ("هاشمی", "Hashemi"), ("طاهری", "Taheri"), ("عباسی", "Abbasi"), ("شریفی", "Sharifi"),
    ("زارعی", "Zarei"), ("سلطانی", "Soltani"), ("اکبری", "Akbari"), ("مرادی", "Moradi"),
    ("یزدانی", "Yazdani"), ("تهرانی", "Tehrani"), ("شیرازی", "Shirazi"), ("اصفهانی", "Esfahani"),
    ("فراهانی", "Farahani"), ("نجفی", "Najafi"), ("بهرامی", "Bahrami"), ("امینی", "Amini"),
    ("پاکزاد", "Pakzad"), ("نیک‌نام", "Niknam"), ("قلی‌زاده", "Gholizadeh"),
    ("حسین‌زاده", "Hosseinzadeh"), ("عبدالهی", "Abdollahi"), ("میرزایی", "Mirzaei"),
    ("کرمانی", "Kermani"), ("صفوی", "Safavi"), ("دهقان", "Dehghan"), ("فرجی", "Faraji"),
)

GIVEN_NAMES_EN: tuple[str, ...] = (
    "James", "Olivia", "Liam", "Sophia", "Noah", "Mia", "Lucas", "Anna", "David", "Laura",
    "Daniel", "Emma", "Thomas", "Chloe", "Adam", "Hannah", "Leo", "Sofia", "Omar", "Layla",
)

FAMILY_NAMES_EN: tuple[str, ...] = (
    "Smith", "Brown", "Wilson", "Taylor", "Anderson", "Martin", "Clarke", "Walker", "Wright",
    "Hughes", "Schmidt", "Rossi", "Novak", "Haddad", "Yilmaz", "Dubois",
)

#: Organisation names are a kind of business followed by a brand.
ORG_KINDS_FA: tuple[str, ...] = (
    "شرکت بازرگانی", "شرکت فناوری اطلاعات", "شرکت پخش", "شرکت صنایع غذایی", "گروه صنعتی",
    "شرکت حمل و نقل", "شرکت مهندسی", "فروشگاه زنجیره‌ای",
)
ORG_BRANDS: tuple[tuple[str, str], ...] = (
    ("آریا", "Aria"), ("پارس", "Pars"), ("سپاهان", "Sepahan"), ("البرز", "Alborz"),
    ("کاسپین", "Caspian"), ("زاگرس", "Zagros"), ("نوین", "Novin"), ("مهر", "Mehr"),
    ("آفتاب", "Aftab"), ("دماوند", "Damavand"), ("پرسپولیس", "Persepolis"), ("کیش", "Kish"),
)
ORG_KINDS_EN: tuple[str, ...] = (
    "Trading Co.", "Logistics Ltd.", "Software Group", "Foods Inc.", "Engineering Co.",
)

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")

#: Iranian mobile prefixes after +98 (MCI, Irancell, RighTel).
MOBILE_PREFIXES: tuple[str, ...] = (
    "912", "913", "914", "915", "916", "917", "918", "919", "910", "911", "990", "991",
    "935", "936", "937", "938", "939", "930", "933", "901", "902", "903", "905", "921", "922",
)

#: (city fa, city en, province fa, province en, weight, telephone area code)
CITIES: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("تهران", "Tehran", "تهران", "Tehran", 30, "21"),
    ("مشهد", "Mashhad", "خراسان رضوی", "Razavi Khorasan", 8, "51"),
    ("اصفهان", "Isfahan", "اصفهان", "Isfahan", 8, "31"),
    ("شیراز", "Shiraz", "فارس", "Fars", 7, "71"),
    ("تبریز", "Tabriz", "آذربایجان شرقی", "East Azerbaijan", 6, "41"),
    ("کرج", "Karaj", "البرز", "Alborz", 6, "26"),
    ("اهواز", "Ahvaz", "خوزستان", "Khuzestan", 4, "61"),
    ("قم", "Qom", "قم", "Qom", 3, "25"),
    ("کرمانشاه", "Kermanshah", "کرمانشاه", "Kermanshah", 3, "83"),
    ("رشت", "Rasht", "گیلان", "Gilan", 3, "13"),
    ("یزد", "Yazd", "یزد", "Yazd", 3, "35"),
    ("کرمان", "Kerman", "کرمان", "Kerman", 3, "34"),
    ("ارومیه", "Urmia", "آذربایجان غربی", "West Azerbaijan", 2, "44"),
    ("همدان", "Hamadan", "همدان", "Hamadan", 2, "81"),
    ("ساری", "Sari", "مازندران", "Mazandaran", 2, "11"),
    ("بندرعباس", "Bandar Abbas", "هرمزگان", "Hormozgan", 2, "76"),
)

STREETS: tuple[tuple[str, str], ...] = (
    ("ولیعصر", "Valiasr"), ("انقلاب", "Enghelab"), ("آزادی", "Azadi"), ("شریعتی", "Shariati"),
    ("مطهری", "Motahari"), ("فردوسی", "Ferdowsi"), ("حافظ", "Hafez"), ("سعدی", "Saadi"),
    ("چهارباغ", "Chaharbagh"), ("زند", "Zand"), ("بهار", "Bahar"), ("نیاوران", "Niavaran"),
)

#: (tag, weight): most are slugs, a few Persian, as teams really tag.
TAGS: tuple[tuple[str, int], ...] = (
    ("newsletter", 30), ("vip", 6), ("b2b", 5), ("wholesale", 4), ("referral", 8),
    ("instagram", 10), ("tehran-expo-1402", 5), ("price-sensitive", 6), ("early-adopter", 4),
    ("مشتری-وفادار", 5), ("نمایشگاه", 4), ("بازاریابی-پیامکی", 3),
)

LIFECYCLE_STAGES: tuple[tuple[str, int], ...] = (
    ("prospect", 15), ("lead", 20), ("customer", 40), ("loyal", 15), ("churned", 10),
)

#: How much a customer at each stage interacts, relative to others.
STAGE_ACTIVITY: dict[str, float] = {
    "prospect": 0.3, "lead": 0.7, "customer": 1.3, "loyal": 2.5, "churned": 0.8,
}

PREFERRED_CHANNELS: tuple[tuple[str, int], ...] = (
    ("email", 30), ("sms", 25), ("phone", 20), ("chat", 10), ("social", 10), ("in_person", 5),
)

CONSENT_CHANNELS: tuple[str, ...] = ("email", "sms", "phone")
CONSENT_SOURCES: tuple[str, ...] = (
    "web_form", "checkout", "store_visit", "phone_call", "import:crm-1401", "event:tehran-expo",
)
WITHDRAWAL_SOURCES: tuple[str, ...] = ("unsubscribe_link", "customer_request", "sms_stop_reply")

#: (Persian, English, lowest IRR price, highest IRR price)
PRODUCTS: tuple[tuple[str, str, int, int], ...] = (
    ("گوشی موبایل", "mobile phone", 80_000_000, 600_000_000),
    ("لپ‌تاپ", "laptop", 250_000_000, 1_200_000_000),
    ("هدفون بی‌سیم", "wireless headphones", 15_000_000, 90_000_000),
    ("فرش دستباف", "hand-woven carpet", 120_000_000, 2_500_000_000),
    ("زعفران", "saffron", 3_000_000, 40_000_000),
    ("چای ایرانی", "Persian tea", 1_500_000, 12_000_000),
    ("اشتراک سالانه", "annual subscription", 20_000_000, 60_000_000),
    ("خدمات نصب", "installation service", 5_000_000, 25_000_000),
    ("یخچال", "refrigerator", 300_000_000, 900_000_000),
    ("کتاب", "book", 1_000_000, 8_000_000),
)

BRANCHES: tuple[tuple[str, str], ...] = (
    ("شعبه مرکزی", "the head office"), ("شعبه ونک", "the Vanak branch"),
    ("شعبه تجریش", "the Tajrish branch"), ("نمایندگی شیراز", "the Shiraz agency"),
)

SOCIAL_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("اینستاگرام", "instagram"), ("تلگرام", "telegram"), ("لینکدین", "linkedin"), ("ایکس", "x"),
)

#: Interaction kinds: (kind, channel, directions, weight, Persian summary, English summary,
#: carries a value). Summaries may use {product}, {branch}, {platform}, {order}.
KINDS: tuple[tuple[str, str, tuple[str, ...], int, str, str, bool], ...] = (
    ("core.web_visit", "web", ("inbound",), 14,
     "بازدید از صفحه {product} در سایت", "Visited the {product} page on the website", False),
    ("core.form_submitted", "web", ("inbound",), 4,
     "درخواست مشاوره درباره {product} از فرم سایت", "Asked for advice on {product} via the web form", False),
    ("core.purchase", "web", ("inbound",), 6,
     "خرید آنلاین {product}، سفارش {order}", "Bought {product} online, order {order}", True),
    ("core.email", "email", ("outbound",), 10,
     "ارسال خبرنامه با پیشنهاد ویژه {product}", "Sent the newsletter with a {product} offer", False),
    ("core.email", "email", ("inbound",), 6,
     "ایمیل مشتری: پرسش درباره گارانتی {product}", "Customer email asking about the {product} warranty", False),
    ("core.quote", "email", ("outbound",), 3,
     "ارسال پیش‌فاکتور {product}", "Sent a quote for {product}", True),
    ("core.call", "phone", ("inbound",), 9,
     "تماس مشتری برای پیگیری سفارش {order}", "Customer called to follow up order {order}", False),
    ("core.call", "phone", ("outbound",), 7,
     "تماس برای معرفی {product}", "Called to introduce {product}", False),
    ("core.note", "phone", ("internal",), 4,
     "یادداشت: مشتری به {product} علاقه‌مند است", "Note: interested in {product}", False),
    ("core.sms", "sms", ("outbound",), 6,
     "پیامک یادآوری تخفیف {product}", "Sent an SMS reminder about the {product} discount", False),
    ("core.chat", "chat", ("inbound",), 9,
     "گفتگوی آنلاین درباره موجودی {product}", "Live chat about {product} availability", False),
    ("core.social_mention", "social", ("inbound",), 5,
     "اشاره به برند در {platform}", "Mentioned the brand on {platform}", False),
    ("core.social_message", "social", ("inbound",), 4,
     "پیام مستقیم در {platform} درباره {product}", "Direct message on {platform} about {product}", False),
    ("core.visit", "in_person", ("inbound",), 5,
     "مراجعه حضوری به {branch}", "Visited {branch}", False),
    ("core.purchase", "in_person", ("inbound",), 4,
     "خرید حضوری {product} از {branch}", "Bought {product} at {branch}", True),
    ("core.meeting", "in_person", ("outbound",), 2,
     "جلسه حضوری برای ارائه {product}", "Meeting to present {product}", False),
    ("core.note", "in_person", ("internal",), 2,
     "یادداشت: پیگیری پس از مراجعه به {branch}", "Note: follow up after the visit to {branch}", False),
)
