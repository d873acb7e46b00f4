"""Why a row of an import file was rejected: stable, machine-readable reason codes.

Every rejected row carries one of these codes next to its reason. The reason is a sentence
for people — English in the report, the CLI and its rejects file, translated into the reader's
language when the staff UI shows or downloads it — and may change wording; the code does not,
so a program sorting the rejects of an import reads the `reason_code` column. New codes may be
added; a code is never renamed or reused.
"""

from __future__ import annotations

#: Every reason code of the customer import, with what it means.
REASON_CODES: dict[str, str] = {
    "unreadable_csv": "the CSV record cannot be read (e.g. an unclosed quote)",
    "bad_encoding": "the line holds bytes that are not text in the file's encoding",
    "field_count": "the row has more fields than the header",
    "no_name_or_contact": "the row has no name, email or phone",
    "organization_without_name": "the kind is organization but the organization name is empty",
    "too_long": "a name, a tag or an address field is longer than its limit",
    "invalid_email": "an email address is not valid",
    "invalid_phone": "a phone number is not valid in the phone region",
    "too_many_contacts": "more emails or phones than a customer may have",
    "too_many_tags": "more tags than a customer may have",
    "invalid_language": "the preferred language is not a language code",
    "invalid_timezone": "the time zone is not an IANA time zone name",
    "invalid_birthday": "the birthday is not a date (ISO or Jalali)",
    "birthday_out_of_range": "the birthday is in the future or before 1900",
    "invalid_yes_no": "a consent or yes/no cell is neither yes nor no",
    "invalid_kind": "the kind is neither person nor organization",
    "invalid_stage": "the lifecycle stage is not one of the known stages",
    "invalid_attributes": "the custom-fields cell is not a JSON object",
    "invalid_attribute": "a custom field's value is refused by its declaration",
    "not_whole_number": "an integer custom field holds something else",
    "address_without_line1": "an address cell (city, postal code, ...) is filled but address_line1 is empty",
    "invalid_country": "the country is neither a two-letter ISO 3166 code nor a known country name",
    "invalid_postal_code": "the postal code is refused by the address rule (e.g. longer than 20 characters)",
    "invalid_address": "the addresses cell is not a JSON list of addresses, or holds more than a customer may have",
    "database_refused": "the database refused the row (a constraint)",
    # A refused referrer does not refuse its row: the customer is imported without a referrer
    # (`payvand.core.importing.referrers`); the row is in the rejects file with one of these.
    "unknown_referrer": "no customer in the file or the database has the referrer's external id, email or phone",
    "self_referral": "the referrer is the row's own customer",
    "inactive_referrer": "the referrer was merged away or erased",
    "referral_loop": "the referrer was referred, directly or down the chain, through the row's customer",
    "invalid_referrer_email": "the referrer's email is not a valid email address",
    "invalid_referrer_phone": "the referrer's phone is not a valid phone number in the phone region",
    "duplicate": "skipped (not rejected) with on_duplicate=skip: the email or phone is known",
}
