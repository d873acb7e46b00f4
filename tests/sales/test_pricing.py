"""Tests for `payvand.plugins.sales.pricing`: exact money, discounts, taxes, payments, numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payvand.plugins.sales.pricing import (
    DEFAULT_VAT_RATE,
    Discount,
    InvoiceNumber,
    LineInput,
    amount_off,
    balance_due,
    compute_document,
    compute_line,
    currency_places,
    fiscal_year,
    invoice_number,
    next_invoice_number,
    parse_invoice_number,
    payment_status,
    percent_off,
    round_money,
)

D = Decimal
CURRENCIES = ["USD", "IRR", "KWD", "JPY", "EUR"]


def line(qty: str | int, price: str | int, rate: str | int = 10, discount: Discount | None = None,
         ) -> LineInput:
    """A line from short literals (strings keep the decimals exact)."""
    return LineInput(quantity=D(qty), unit_price=D(price), tax_rate=D(rate), discount=discount)


# --- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "places"), [("USD", 2), ("EUR", 2), ("KWD", 3), ("JPY", 0),
                                              ("IRR", 0)])
def test_currency_places_follow_the_minor_unit(code: str, places: int) -> None:
    assert currency_places(code) == places


@pytest.mark.parametrize("code", ["ABC", "IRT", "usd", "US", "", "EURO", 978])
def test_non_iso_currency_code_is_refused_with_value_error(code: Any) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        currency_places(code)


def test_rials_round_to_whole_rials_and_dollars_to_cents() -> None:
    assert round_money(D("1234.5"), "IRR") == D("1235")
    assert round_money(D("1234.49"), "IRR") == D("1234")
    assert str(round_money(D("1234.5"), "USD")) == "1234.50"
    assert round_money(D("1.005"), "USD") == D("1.01")
    assert round_money(D("1.0005"), "KWD") == D("1.001")


def test_rounding_half_up_is_symmetric_for_refunds() -> None:
    assert round_money(D("-0.005"), "USD") == D("-0.01")
    assert round_money(D("-2.5"), "IRR") == D("-3")


def test_same_line_rounds_per_currency() -> None:
    usd = compute_line(line("3", "0.335", rate=0), "USD")
    irr = compute_line(line("3", "0.335", rate=0), "IRR")
    assert (usd.gross, usd.total) == (D("1.01"), D("1.01"))
    assert (irr.gross, irr.total) == (D("1"), D("1"))


def test_results_carry_the_currency_exponent_even_when_zero() -> None:
    amounts = compute_line(line("1", "5.00", rate=0), "USD")
    assert str(amounts.tax) == "0.00"
    assert str(amounts.discount) == "0.00"


# --- lines ----------------------------------------------------------------------------------


def test_three_line_quote_with_ten_and_zero_percent_vat() -> None:
    totals = compute_document(
        [line("2", "19.99"), line("1.5", "12.35"), line("3", "5.00", rate=0)], "USD"
    )
    assert [(a.gross, a.net, a.tax, a.total) for a in totals.lines] == [
        (D("39.98"), D("39.98"), D("4.00"), D("43.98")),    # tax 3.998
        (D("18.53"), D("18.53"), D("1.85"), D("20.38")),    # gross 18.525, tax 1.853
        (D("15.00"), D("15.00"), D("0.00"), D("15.00")),
    ]
    assert totals.subtotal == totals.net_total == D("73.51")
    assert totals.tax_by_rate == {D("0"): D("0.00"), D("10"): D("5.85")}
    assert totals.tax_total == D("5.85")
    assert totals.total == D("79.36")


def test_percent_discount_rounds_the_net_and_prints_the_difference_as_discount() -> None:
    amounts = compute_line(line("3", "33.33", discount=percent_off(D("15"))), "USD")
    # gross 99.99; raw net 99.99 - 14.9985 = 84.9915 -> 84.99; tax 8.499 -> 8.50
    assert (amounts.gross, amounts.discount, amounts.net) == (D("99.99"), D("15.00"), D("84.99"))
    assert (amounts.tax, amounts.total) == (D("8.50"), D("93.49"))


def test_tax_is_computed_on_the_rounded_net() -> None:
    amounts = compute_line(line("1", "10.045"), "USD")
    # net 10.045 -> 10.05; tax 1.005 -> 1.01 (on the unrounded net it would be 1.0045 -> 1.00)
    assert (amounts.net, amounts.tax, amounts.total) == (D("10.05"), D("1.01"), D("11.06"))


def test_amount_discount_is_taken_off_the_whole_line_in_rials() -> None:
    amounts = compute_line(line("2", "1250000", discount=amount_off(D("100000"))), "IRR")
    assert (amounts.gross, amounts.discount, amounts.net) == (D(2500000), D(100000), D(2400000))
    assert (amounts.tax, amounts.total) == (D(240000), D(2640000))


def test_amount_discount_finer_than_the_currency_is_rounded_through_the_net() -> None:
    amounts = compute_line(line("1", "100.00", rate=0, discount=amount_off(D("12.345"))), "USD")
    assert (amounts.net, amounts.discount) == (D("87.66"), D("12.34"))  # 87.655 rounds up


def test_amount_discount_larger_than_the_line_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than"):
        line("2", "10", discount=amount_off(D("20.01")))


def test_a_hundred_percent_discount_makes_the_line_free() -> None:
    amounts = compute_line(line("2", "10.00", discount=percent_off(D(100))), "USD")
    assert (amounts.net, amounts.tax, amounts.total) == (D(0), D(0), D(0))


@pytest.mark.parametrize("qty", ["0", "-1", "1.0001"])
def test_quantity_must_be_positive_with_at_most_three_decimals(qty: str) -> None:
    with pytest.raises(ValueError, match="quantity"):
        line(qty, "1")


def test_quantity_with_three_decimals_and_trailing_zeros_is_accepted() -> None:
    assert line("1.2500", "1").quantity == D("1.25")


@pytest.mark.parametrize(("field", "value"), [("unit_price", D("-0.01")), ("tax_rate", D("100.1")),
                                              ("tax_rate", D(-1)), ("unit_price", D("NaN"))])
def test_out_of_range_line_values_are_refused(field: str, value: Decimal) -> None:
    values: dict[str, Any] = {"quantity": D(1), "unit_price": D(1), "tax_rate": D(10), field: value}
    with pytest.raises(ValueError, match=field):
        LineInput(**values)


@pytest.mark.parametrize("value", [D(-1), D("100.01")])
def test_discount_percent_outside_0_to_100_is_refused(value: Decimal) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percent_off(value)


def test_discount_is_either_percent_or_amount() -> None:
    with pytest.raises(ValueError, match="kind"):
        Discount("both", D(1))  # type: ignore[arg-type]


def test_line_input_is_frozen() -> None:
    with pytest.raises(AttributeError):
        line("1", "1").quantity = D(2)  # type: ignore[misc]


def test_default_vat_rate_is_ten_percent() -> None:
    assert DEFAULT_VAT_RATE == D(10)


# --- documents ------------------------------------------------------------------------------


def test_percent_document_discount_puts_the_left_over_cent_on_the_largest_line() -> None:
    totals = compute_document([line("1", "33.33"), line("1", "33.34"), line("1", "33.33")], "USD",
                              document_discount=percent_off(D(10)))
    # 10 % of 100.00 = 10.00; shares 3.333, 3.334, 3.333 round to 3.33 each; 0.01 is left over
    assert [a.document_discount for a in totals.lines] == [D("3.33"), D("3.34"), D("3.33")]
    assert [a.net for a in totals.lines] == [D("30.00")] * 3
    assert totals.discount_total == D("10.00")
    assert (totals.tax_total, totals.total) == (D("9.00"), D("99.00"))


def test_amount_document_discount_is_spread_in_proportion_to_net() -> None:
    totals = compute_document([line("1", "100.00"), line("1", "300.00", rate=0)], "USD",
                              document_discount=amount_off(D("40.00")))
    assert [a.document_discount for a in totals.lines] == [D("10.00"), D("30.00")]
    assert totals.tax_by_rate == {D(0): D("0.00"), D(10): D("9.00")}
    assert totals.total == D("369.00")


def test_document_discount_applies_after_line_discounts() -> None:
    totals = compute_document([line("1", "200", rate=0, discount=percent_off(D(50))),
                               line("1", "100", rate=0)], "IRR",
                              document_discount=percent_off(D(10)))
    assert [a.document_discount for a in totals.lines] == [D(10), D(10)]
    assert (totals.subtotal, totals.discount_total, totals.total) == (D(300), D(120), D(180))


def test_remainder_the_largest_line_cannot_absorb_goes_to_the_next_largest() -> None:
    # Shares round to 1,1,1,0,1,1 (5 > 3); the largest line (26) can only give back 1.
    prices = [26, 19, 19, 4, 19, 20]
    totals = compute_document([line(1, p, rate=0) for p in prices], "IRR",
                              document_discount=amount_off(D(3)))
    assert [a.document_discount for a in totals.lines] == [D(0), D(1), D(1), D(0), D(1), D(0)]


def test_document_discount_larger_than_the_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than"):
        compute_document([line("1", "10.00")], "USD", document_discount=amount_off(D("10.01")))


def test_shipping_is_taxed_at_its_own_rate_and_not_discounted() -> None:
    totals = compute_document([line("1", "100.00", rate=0)], "USD",
                              document_discount=percent_off(D(10)), shipping=D("20.00"),
                              shipping_tax_rate=D(10))
    assert (totals.shipping, totals.shipping_tax) == (D("20.00"), D("2.00"))
    assert totals.tax_by_rate == {D(0): D("0.00"), D(10): D("2.00")}
    assert totals.total == D("90.00") + D("20.00") + D("2.00")


def test_empty_document_totals_zero() -> None:
    totals = compute_document([], "USD")
    assert (totals.lines, totals.total, totals.tax_by_rate) == ((), D("0.00"), {})


# --- properties -----------------------------------------------------------------------------

currencies = st.sampled_from(CURRENCIES)
amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False,
                      allow_infinity=False)
rates = st.sampled_from([D(0), D(5), D(9), D(10), D("12.5"), D(100)])


@st.composite
def line_inputs(draw: st.DrawFn) -> LineInput:
    """Any valid line, with no discount, a percent discount or an amount discount."""
    qty = draw(st.decimals(min_value=D("0.001"), max_value=10**5, places=3, allow_nan=False,
                           allow_infinity=False))
    price = draw(amounts)
    kind = draw(st.sampled_from([None, "percent", "amount"]))
    discount = None
    if kind == "percent":
        discount = percent_off(draw(st.decimals(min_value=0, max_value=100, places=2)))
    elif kind == "amount":
        raw = qty * price
        discount = amount_off(draw(st.decimals(min_value=0, max_value=raw, places=4)))
    return LineInput(quantity=qty, unit_price=price, tax_rate=draw(rates), discount=discount)


DiscountSpec = tuple[str, Decimal] | None
discount_specs = st.one_of(
    st.none(),
    st.tuples(st.just("percent"), st.decimals(min_value=0, max_value=100, places=3)),
    st.tuples(st.just("share"), st.decimals(min_value=0, max_value=1, places=6)),
)


def _requested(lines: list[LineInput], currency: str, spec: DiscountSpec) -> Discount | None:
    """The document discount of `spec`: a percent, or a share of the lines' net as an amount."""
    if spec is None:
        return None
    kind, value = spec
    if kind == "percent":
        return percent_off(value)
    available = sum((compute_line(x, currency).net for x in lines), D(0))
    return amount_off(round_money(available * value, currency))


@given(st.lists(line_inputs(), max_size=8), currencies, discount_specs, amounts)
def test_totals_equal_the_sums_of_the_rounded_line_figures(
    lines: list[LineInput], currency: str, spec: DiscountSpec, shipping: Decimal
) -> None:
    totals = compute_document(lines, currency, document_discount=_requested(lines, currency, spec),
                              shipping=shipping, shipping_tax_rate=D(10))
    figures = totals.lines
    assert totals.subtotal == sum(a.gross for a in figures)
    assert totals.discount_total == sum(a.discount + a.document_discount for a in figures)
    assert totals.net_total == sum(a.net for a in figures) == totals.subtotal - totals.discount_total
    assert totals.tax_total == sum(a.tax for a in figures) + totals.shipping_tax
    assert totals.tax_total == sum(totals.tax_by_rate.values())
    assert totals.total == sum(a.total for a in figures) + totals.shipping + totals.shipping_tax
    for a in figures:
        assert a.gross - a.discount - a.document_discount == a.net
        assert a.net + a.tax == a.total
        assert round_money(a.total, currency) == a.total


@given(st.lists(line_inputs(), min_size=1, max_size=8), currencies, discount_specs)
def test_document_discount_spread_sums_exactly_to_the_requested_discount(
    lines: list[LineInput], currency: str, spec: DiscountSpec
) -> None:
    discount = _requested(lines, currency, spec)
    totals = compute_document(lines, currency, document_discount=discount)
    own = [compute_line(x, currency) for x in lines]
    available = sum(a.net for a in own)
    if discount is None:
        wanted = D(0)
    elif discount.kind == "percent":
        wanted = round_money(available * discount.value / 100, currency)
    else:
        wanted = discount.value
    assert sum(a.document_discount for a in totals.lines) == wanted
    for before, after in zip(own, totals.lines, strict=True):
        assert 0 <= after.document_discount <= before.net


@settings(max_examples=300)
@given(st.integers(1, 30), st.integers(2, 8), st.lists(st.integers(0, 40), max_size=3), st.data())
def test_spread_keeps_every_share_between_zero_and_the_line_net(
    price: int, copies: int, others: list[int], data: st.DataObject
) -> None:
    # Equal lines round the same way, so the remainder can exceed what one line can absorb.
    prices = [price] * copies + others
    discount = data.draw(st.integers(0, sum(prices)))
    totals = compute_document([line(1, p, rate=0) for p in prices], "IRR",
                              document_discount=amount_off(D(discount)))
    shares = [a.document_discount for a in totals.lines]
    assert sum(shares) == discount
    assert all(0 <= share <= net for share, net in zip(shares, prices, strict=True))


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12),
       currencies)
def test_rounding_is_idempotent(amount: Decimal, currency: str) -> None:
    once = round_money(amount, currency)
    assert round_money(once, currency) == once
    assert abs(once - amount) <= D("0.5").scaleb(-currency_places(currency))


@given(line_inputs(), currencies)
def test_tax_is_never_negative_and_never_above_the_rate(line_input: LineInput, currency: str,
                                                       ) -> None:
    amounts = compute_line(line_input, currency)
    assert amounts.tax >= 0
    assert amounts.net >= 0
    assert amounts.tax <= round_money(amounts.net * line_input.tax_rate / 100, currency)


@given(line_inputs(), currencies)
def test_zero_percent_line_has_zero_tax(line_input: LineInput, currency: str) -> None:
    zero_rated = LineInput(quantity=line_input.quantity, unit_price=line_input.unit_price,
                           tax_rate=D(0), discount=line_input.discount)
    amounts = compute_line(zero_rated, currency)
    assert amounts.tax == 0
    assert amounts.total == amounts.net


def _line_with(**overrides: Any) -> LineInput:
    values: dict[str, Any] = {"quantity": D(1), "unit_price": D(1), "tax_rate": D(10)}
    return LineInput(**{**values, **overrides})


FLOAT_CALLS: list[tuple[str, Callable[[float], object]]] = [
    ("quantity", lambda f: _line_with(quantity=f)),
    ("unit_price", lambda f: _line_with(unit_price=f)),
    ("tax_rate", lambda f: _line_with(tax_rate=f)),
    ("percent_off", lambda f: percent_off(f)),  # type: ignore[arg-type]
    ("amount_off", lambda f: amount_off(f)),  # type: ignore[arg-type]
    ("round_money", lambda f: round_money(f, "USD")),  # type: ignore[arg-type]
    ("shipping", lambda f: compute_document([], "USD", shipping=f)),  # type: ignore[arg-type]
    ("shipping_tax_rate", lambda f: compute_document([], "USD", shipping_tax_rate=f)),  # type: ignore[arg-type]
    ("balance_total", lambda f: balance_due(f, [])),  # type: ignore[arg-type]
    ("balance_payment", lambda f: balance_due(D(1), [f])),  # type: ignore[list-item]
    ("status_total", lambda f: payment_status(f, D(0))),  # type: ignore[arg-type]
    ("status_paid", lambda f: payment_status(D(1), f)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("where", "call"), FLOAT_CALLS, ids=[w for w, _ in FLOAT_CALLS])
@given(value=st.floats(min_value=0, max_value=100))
def test_no_float_is_accepted_anywhere(where: str, call: Callable[[float], object],
                                       value: float) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        call(value)


def test_strings_and_bools_are_not_money() -> None:
    with pytest.raises(TypeError):
        round_money("1.00", "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _line_with(quantity=True)


def test_document_discount_must_be_a_discount() -> None:
    with pytest.raises(TypeError, match="Discount"):
        compute_document([], "USD", document_discount=D(5))  # type: ignore[arg-type]


# --- payments -------------------------------------------------------------------------------


def test_partial_payments_then_the_rest_make_an_invoice_paid() -> None:
    total = D("1000.00")
    assert (balance_due(total, []), payment_status(total, D(0))) == (total, "unpaid")
    first = [D("300.00")]
    assert balance_due(total, first) == D("700.00")
    assert payment_status(total, sum(first)) == "partially_paid"
    both = [D("300.00"), D("700.00")]
    assert (balance_due(total, both), payment_status(total, sum(both))) == (D(0), "paid")


def test_paying_too_much_leaves_a_negative_balance_and_overpaid() -> None:
    payments = [D("300.00"), D("800.00")]
    assert balance_due(D("1000.00"), payments) == D("-100.00")
    assert payment_status(D("1000.00"), sum(payments)) == "overpaid"


def test_a_refund_is_a_negative_payment_that_reopens_the_balance() -> None:
    payments = [D("1000.00"), D("-200.00")]
    assert balance_due(D("1000.00"), payments) == D("200.00")
    assert payment_status(D("1000.00"), sum(payments)) == "partially_paid"
    assert payment_status(D("1000.00"), D("-5.00")) == "unpaid"


def test_refunding_an_overpayment_makes_it_paid() -> None:
    payments = [D("1100.00"), D("-100.00")]
    assert payment_status(D("1000.00"), sum(payments)) == "paid"


def test_free_invoice_is_paid_without_payments() -> None:
    assert payment_status(D(0), D(0)) == "paid"


def test_negative_total_is_refused_by_payment_status() -> None:
    with pytest.raises(ValueError, match="negative"):
        payment_status(D(-1), D(0))


# --- invoice numbers ------------------------------------------------------------------------


def test_invoice_number_pads_the_sequence_to_six_digits() -> None:
    assert invoice_number(1405, 123) == "INV-1405-000123"
    assert invoice_number(2026, 1_234_567, prefix="ACME-B") == "ACME-B-2026-1234567"


def test_parse_invoice_number_returns_its_parts() -> None:
    assert parse_invoice_number("INV-1405-000123") == InvoiceNumber("INV", 1405, 123)
    assert parse_invoice_number("ACME-B-2026-1234567") == InvoiceNumber("ACME-B", 2026, 1234567)


@pytest.mark.parametrize("text", ["INV-1405-123", "INV-1405-000000", "INV1405000123", "-1405-000001",
                                  "INV-۱۴۰۵-۰۰۰۱۲۳", "INV-140-000001", " INV-1405-000001", None])
def test_malformed_invoice_numbers_are_refused(text: Any) -> None:
    with pytest.raises(ValueError, match="not an invoice number"):
        parse_invoice_number(text)


@pytest.mark.parametrize(("year", "seq", "prefix"), [(1405, 0, "INV"), (99, 1, "INV"),
                                                     (1405, 1, "IN V"), (1405, 1, ""),
                                                     (1405, 1, "INV-")])
def test_invalid_invoice_number_parts_are_refused(year: int, seq: int, prefix: str) -> None:
    with pytest.raises(ValueError):
        invoice_number(year, seq, prefix)


@given(st.integers(1000, 9999), st.integers(1, 10**9),
       st.from_regex(r"[A-Za-z0-9]{1,5}(-[A-Za-z0-9]{1,5}){0,2}", fullmatch=True))
def test_invoice_numbers_round_trip(year: int, seq: int, prefix: str) -> None:
    assert parse_invoice_number(invoice_number(year, seq, prefix)) == InvoiceNumber(prefix, year, seq)


def test_numbering_continues_within_a_year_and_restarts_at_one_in_the_next() -> None:
    assert next_invoice_number(None, 1405) == "INV-1405-000001"
    assert next_invoice_number("INV-1405-000041", 1405) == "INV-1405-000042"
    assert next_invoice_number("INV-1405-000041", 1406) == "INV-1406-000001"


def test_next_invoice_number_refuses_another_prefix() -> None:
    with pytest.raises(ValueError, match="prefix"):
        next_invoice_number("CRN-1405-000001", 1405)


def test_jalali_fiscal_year_starts_at_nowruz() -> None:
    assert fiscal_year(date(2026, 3, 20), "jalali") == 1404
    assert fiscal_year(date(2026, 3, 21), "jalali") == 1405
    assert fiscal_year(datetime(2026, 3, 21, 0, 30), "jalali") == 1405


def test_gregorian_fiscal_year_is_the_calendar_year() -> None:
    assert fiscal_year(date(2026, 3, 20), "gregorian") == 2026
    assert fiscal_year(date(2025, 12, 31), "gregorian") == 2025


def test_unknown_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="calendar"):
        fiscal_year(date(2026, 1, 1), "hijri")  # type: ignore[arg-type]
