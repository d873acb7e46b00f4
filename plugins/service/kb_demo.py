"""The demo knowledge base: real help articles of an Iranian online shop, in Persian and English.

Used by the demo data (`load_kb_demo`), the relevance test (tests/service/data/kb_questions.json
names these titles) and the search benchmark.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

ARTICLES: list[dict[str, Any]] = [
    # ---- Persian ----
    {"language": "fa", "category": "ارسال", "title": "زمان و هزینه ارسال سفارش",
     "body": "سفارش‌های تهران معمولاً ظرف ۲۴ تا ۴۸ ساعت و سفارش‌های شهرستان ظرف ۳ تا ۵ روز کاری تحویل داده می‌شوند.\n\n"
             "هزینه ارسال برای خریدهای بالای ۵۰۰ هزار تومان رایگان است. برای مبالغ کمتر، هزینه پست پیشتاز "
             "بر اساس وزن بسته و شهر مقصد در صفحه پرداخت نمایش داده می‌شود."},
    {"language": "fa", "category": "ارسال", "title": "پیگیری مرسوله با کد رهگیری",
     "body": "پس از تحویل بسته به پست، کد رهگیری ۲۴ رقمی برای شما پیامک می‌شود. این کد را در سامانه رهگیری "
             "مرسولات پست وارد کنید تا وضعیت و محل فعلی بسته را ببینید. اگر پس از ۴۸ ساعت پیامکی دریافت نکردید "
             "از بخش سفارش‌های من در حساب کاربری کد را ببینید."},
    {"language": "fa", "category": "ارسال", "title": "سفارش من نرسیده است",
     "body": "اگر زمان تحویل اعلام‌شده گذشته و سفارش به دستتان نرسیده، ابتدا وضعیت مرسوله را با کد رهگیری بررسی کنید. "
             "اگر بسته در اداره پست مانده یا برگشت خورده، با پشتیبانی تماس بگیرید تا دوباره ارسال شود. "
             "در صورت گم شدن بسته، مبلغ کامل یا کالای جایگزین برایتان فرستاده می‌شود."},
    {"language": "fa", "category": "ارسال", "title": "تغییر نشانی تحویل سفارش",
     "body": "تا پیش از ارسال سفارش می‌توانید نشانی تحویل را از بخش سفارش‌های من ویرایش کنید. "
             "پس از تحویل بسته به پست، تغییر آدرس ممکن نیست؛ در این حالت با پشتیبانی تماس بگیرید."},
    {"language": "fa", "category": "مرجوعی", "title": "شرایط مرجوع کردن کالا",
     "body": "تا ۷ روز پس از تحویل می‌توانید کالا را بدون ذکر دلیل پس بدهید، به شرط آنکه بسته‌بندی اصلی باز نشده "
             "و کالا استفاده نشده باشد. کالاهای بهداشتی، نرم‌افزار و کارت هدیه قابل مرجوع نیستند. "
             "برای ثبت درخواست مرجوعی به بخش سفارش‌های من بروید."},
    {"language": "fa", "category": "مرجوعی", "title": "بازگشت وجه پس از مرجوعی",
     "body": "پس از رسیدن کالای مرجوعی به انبار و بررسی آن، مبلغ ظرف ۳ تا ۷ روز کاری به همان کارت بانکی که "
             "با آن پرداخت کرده‌اید واریز می‌شود. اگر با کیف پول پرداخت کرده باشید، وجه فوراً به کیف پول برمی‌گردد."},
    {"language": "fa", "category": "مرجوعی", "title": "کالای معیوب یا آسیب‌دیده دریافت کرده‌ام",
     "body": "اگر کالا شکسته، خراب یا ناقص به دستتان رسیده، ظرف ۲۴ ساعت از تحویل از آن عکس بگیرید و از بخش "
             "سفارش‌های من درخواست مرجوعی با دلیل «کالای معیوب» ثبت کنید. هزینه ارسال برگشت با فروشگاه است "
             "و کالای سالم جایگزین یا وجه کامل برایتان فرستاده می‌شود."},
    {"language": "fa", "category": "مرجوعی", "title": "لغو سفارش",
     "body": "تا وقتی سفارش در وضعیت «در حال پردازش» است، می‌توانید آن را از بخش سفارش‌های من لغو کنید و مبلغ "
             "پرداختی به حسابتان برمی‌گردد. پس از ارسال، انصراف فقط از راه مرجوعی ممکن است."},
    {"language": "fa", "category": "پرداخت", "title": "روش‌های پرداخت",
     "body": "پرداخت اینترنتی با همه کارت‌های عضو شتاب از درگاه بانکی، پرداخت با کیف پول و پرداخت در محل "
             "(فقط در تهران) پذیرفته می‌شود. پرداخت اقساطی برای خریدهای بالای ۵ میلیون تومان فعال است."},
    {"language": "fa", "category": "پرداخت", "title": "مبلغ از حسابم کسر شد ولی سفارش ثبت نشد",
     "body": "اگر تراکنش ناموفق بوده ولی پول از کارت کم شده، بانک معمولاً ظرف ۷۲ ساعت مبلغ را خودکار برمی‌گرداند. "
             "اگر پس از این مدت وجه برنگشت، شماره پیگیری تراکنش و چهار رقم آخر کارت را برای پشتیبانی بفرستید."},
    {"language": "fa", "category": "پرداخت", "title": "استفاده از کد تخفیف",
     "body": "کد تخفیف را در مرحله پرداخت در کادر «کد تخفیف» وارد کنید. هر کد فقط یک بار و تا تاریخ انقضا معتبر است "
             "و با کدهای دیگر جمع نمی‌شود. اگر کد پذیرفته نشد، حداقل مبلغ خرید و دسته‌بندی کالا را بررسی کنید."},
    {"language": "fa", "category": "فاکتور", "title": "دریافت فاکتور رسمی",
     "body": "برای دریافت فاکتور رسمی، پیش از پرداخت در مرحله ثبت سفارش گزینه «فاکتور رسمی» را بزنید و شناسه ملی "
             "و کد اقتصادی شرکت را وارد کنید. فاکتور رسمی همراه بسته ارسال می‌شود و نسخه PDF آن در حساب کاربری است."},
    {"language": "fa", "category": "فاکتور", "title": "دانلود صورتحساب خرید",
     "body": "نسخه الکترونیکی صورتحساب هر سفارش در بخش سفارش‌های من، با دکمه «دانلود فاکتور» در دسترس است. "
             "صورتحساب پس از ارسال سفارش صادر می‌شود."},
    {"language": "fa", "category": "گارانتی", "title": "گارانتی و خدمات پس از فروش",
     "body": "همه کالاهای دیجیتال دارای گارانتی ۱۸ ماهه شرکت‌های معتبر هستند. برای استفاده از گارانتی، کارت گارانتی "
             "و فاکتور خرید را همراه دستگاه به مرکز خدمات ببرید. خرابی ناشی از ضربه، آب یا تعمیر غیرمجاز شامل گارانتی نیست."},
    {"language": "fa", "category": "حساب کاربری", "title": "فراموشی رمز عبور",
     "body": "در صفحه ورود روی «رمز عبور را فراموش کرده‌ام» بزنید و شماره موبایل یا ایمیل خود را وارد کنید. "
             "یک کد یک‌بارمصرف برایتان ارسال می‌شود که با آن می‌توانید گذرواژه تازه بسازید."},
    {"language": "fa", "category": "حساب کاربری", "title": "تغییر شماره موبایل حساب کاربری",
     "body": "برای تغییر شماره تلفن همراه، وارد حساب شوید، به بخش «اطلاعات حساب» بروید و شماره جدید را وارد کنید. "
             "کد تأیید به شماره جدید پیامک می‌شود. اگر به شماره قبلی دسترسی ندارید، تصویر کارت ملی را برای پشتیبانی بفرستید."},
    {"language": "fa", "category": "حساب کاربری", "title": "حذف حساب کاربری",
     "body": "برای بستن و حذف دائمی حساب، از بخش «حریم خصوصی» درخواست حذف حساب را ثبت کنید. پس از تأیید، "
             "اطلاعات شخصی شما پاک می‌شود ولی سوابق مالی طبق قانون نگهداری می‌شود."},
    {"language": "fa", "category": "عمومی", "title": "ساعت کاری پشتیبانی",
     "body": "پشتیبانی تلفنی شنبه تا چهارشنبه از ساعت ۸ تا ۱۷ و پنجشنبه‌ها تا ساعت ۱۳ پاسخگوست. در روزهای تعطیل رسمی "
             "فقط پیام‌های ثبت‌شده در سایت بررسی می‌شوند و روز کاری بعد پاسخ داده می‌شوند."},
    # ---- English ----
    {"language": "en", "category": "Shipping", "title": "Delivery times and shipping costs",
     "body": "Orders within Tehran usually arrive in 1–2 days; other cities take 3–5 working days.\n\n"
             "Shipping is free on orders over 500,000 toman. For smaller orders the courier fee depends on the "
             "parcel's weight and the destination city and is shown at checkout."},
    {"language": "en", "category": "Shipping", "title": "Tracking your parcel",
     "body": "When your parcel is handed to the post, we text you a 24-digit tracking code. Enter it on the "
             "post office's tracking site to see where the package is. You can also find the code under My orders."},
    {"language": "en", "category": "Shipping", "title": "International shipping",
     "body": "We ship abroad to Turkey, the UAE, Iraq, Armenia and Europe through DHL. International delivery takes "
             "7–14 days; customs duties and import taxes are paid by the recipient."},
    {"language": "en", "category": "Shipping", "title": "My order has not arrived",
     "body": "If the promised delivery date has passed, first check the parcel status with the tracking code. If the "
             "package is stuck at the post office or was sent back, contact support and we will resend it. A lost "
             "parcel is replaced or fully refunded."},
    {"language": "en", "category": "Returns", "title": "Return policy",
     "body": "You can return any item within 7 days of delivery without giving a reason, provided the original "
             "packaging is unopened and the item is unused. Hygiene products, software and gift cards cannot be "
             "returned. Start a return from My orders."},
    {"language": "en", "category": "Returns", "title": "When will I get my refund?",
     "body": "Once the returned item reaches our warehouse and passes inspection, the money is paid back to the bank "
             "card you paid with within 3–7 working days. Wallet payments are refunded to your wallet immediately."},
    {"language": "en", "category": "Returns", "title": "I received a damaged or faulty item",
     "body": "If the product arrived broken, defective or incomplete, take photos within 24 hours of delivery and "
             "open a return with the reason \"faulty item\". We pay the return postage and send a working "
             "replacement or a full refund."},
    {"language": "en", "category": "Returns", "title": "Cancelling an order",
     "body": "While an order is still processing you can cancel it from My orders and the payment is released back "
             "to your account. After dispatch an order can only be returned."},
    {"language": "en", "category": "Payment", "title": "Payment methods we accept",
     "body": "We accept online payment with any Shetab bank card through the payment gateway, wallet payments and "
             "cash on delivery (Tehran only). Instalment plans are available for orders above 5 million toman."},
    {"language": "en", "category": "Payment", "title": "Charged but no order was placed",
     "body": "If a transaction failed but money was deducted from your card, the bank usually reverses the charge "
             "automatically within 72 hours. If it does not, send support the transaction reference number and the "
             "last four digits of the card."},
    {"language": "en", "category": "Payment", "title": "Using a discount code",
     "body": "Enter the discount code (coupon) in the box at checkout. Each code works once, until its expiry date, "
             "and cannot be combined with other codes. If a code is rejected, check the minimum order amount and "
             "the product category."},
    {"language": "en", "category": "Invoices", "title": "Getting an official VAT invoice",
     "body": "To get an official invoice for your company, choose \"official invoice\" before paying and enter the "
             "company's national ID and economic code. The invoice ships with the parcel and a PDF copy is in "
             "your account."},
    {"language": "en", "category": "Invoices", "title": "Downloading a receipt",
     "body": "An electronic receipt for every order is under My orders with the \"Download invoice\" button. The "
             "bill is issued once the order is dispatched."},
    {"language": "en", "category": "Warranty", "title": "Warranty and repairs",
     "body": "All electronics come with an 18-month manufacturer warranty. To use it, take the device with its "
             "warranty card and purchase invoice to the service centre. Damage from drops, water or unauthorised "
             "repair is not covered by the guarantee."},
    {"language": "en", "category": "Account", "title": "Resetting a forgotten password",
     "body": "On the sign-in page choose \"Forgot password\" and enter your mobile number or email. We send a "
             "one-time code you use to set a new password."},
    {"language": "en", "category": "Account", "title": "Changing the phone number on your account",
     "body": "Sign in, open Account details and enter the new mobile number; a verification code is texted to it. "
             "If you no longer have the old number, send support a photo of your national ID card."},
    {"language": "en", "category": "Account", "title": "Deleting your account",
     "body": "To close your account permanently, request deletion under Privacy. Once confirmed, your personal data "
             "is erased; financial records are kept as the law requires."},
    {"language": "en", "category": "General", "title": "Support opening hours",
     "body": "Phone support is open Saturday to Wednesday 8:00–17:00 and Thursday until 13:00. On public holidays "
             "only messages sent through the website are read, and answered on the next working day."},
]


def load_kb_demo(session: Any) -> int:
    """Add the demo articles (published and public) unless an article exists; how many were added."""
    from payvand.plugins.service.models import Article
    from payvand.plugins.service.services import kb

    if session.scalar(sa.select(sa.func.count()).select_from(Article)):
        return 0
    for data in ARTICLES:
        kb.save(session, Article(), {**data, "status": "published", "public": True})
    return len(ARTICLES)
