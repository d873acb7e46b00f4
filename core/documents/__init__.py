"""The document kit: what quotes, orders, invoices — and repair invoices, credit notes,
vouchers — share. Plugins reach it through `payvand.sdk.documents` (not re-exported by
`payvand.sdk`).

- `numbering`: per-fiscal-year numbers from a counter table, unique and gap-free under concurrency.
- `flow`: a declarative status flow and `transition` (lock, check, audit, timeline).
- `locking`: `lock_row`, the row lock every state change takes first.
- `pricing`, `lines`: exact money, lines and totals (rounding per line, tax per rate).
- `pdf`: A4 pages drawn with fpdf2 and HarfBuzz in the current locale (`DocumentPdf`; the font is `core.fonts.font_path`).
- mail after the commit: `mail_problem`, `mail_locale`, `mail_document` live in `payvand.sdk.documents`
  (built on the SDK's `send_mail`).
- `errors`: `DocumentError` (404, 409, 422 with a field).
"""
